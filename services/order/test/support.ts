import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import amqplib from 'amqplib';
import {
  AppError,
  Broker,
  createEvent,
  createHttpApp,
  createLogger,
  createMetrics,
  createRedis,
  Database,
  type EventEnvelope,
  ORDERS_EXCHANGE,
  type Redis,
  requireService,
  type Role,
} from '@foodflow/platform';
import { generateTestKeys, http, type RunningApp, signTestAccessToken, startHttp } from '@foodflow/platform/testing';
import { testEnv } from '../../../tests/setup/test-env.js';
import { createApp, type OrderApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { TestPaymentProvider } from '../src/payments/test-payment-provider.js';

const DEV_INTERNAL_SECRET = 'development-internal-secret-change-me-0000';

export interface FakeMenuItem {
  id: string;
  name: string;
  priceCents: number;
  isAvailable: boolean;
}

export interface FakeRestaurant {
  restaurantId: string;
  ownerId: string;
  name: string;
  location: { lat: number; lng: number };
  currency: string;
  deliveryFeeCents: number;
  minOrderCents: number;
  isOpen: boolean;
  isAcceptingOrders: boolean;
  items: FakeMenuItem[];
}

export interface FakeAddress {
  id: string;
  label: string;
  street: string;
  city: string;
  postalCode: string;
  location: { lat: number; lng: number };
  isDefault: boolean;
}

/**
 * Plays the restaurant and user services at their HTTP boundary: their internal endpoints, behind the
 * same service authentication, answering from data the test controls.
 */
export class FakePeers {
  readonly restaurants = new Map<string, FakeRestaurant>();
  private readonly addresses = new Map<string, FakeAddress>();
  private running: RunningApp | undefined;

  get baseUrl(): string {
    if (!this.running) throw new Error('The fake peers are not running');
    return this.running.baseUrl;
  }

  async start(): Promise<void> {
    const logger = createLogger({ service: 'fake-peers', silent: true });
    const guard = (self: string) => requireService({ secret: DEV_INTERNAL_SECRET, self, allowed: ['order-service'] });
    const app = createHttpApp({
      logger,
      metrics: createMetrics('fake-peers'),
      health: [],
      routes: (router) => {
        router.post('/internal/pricing', guard('restaurant-service'), (req, res) => {
          res.json(this.price(req.body.items as { menuItemId: string; quantity: number }[]));
        });
        router.get('/internal/users/:userId/addresses/:addressId', guard('user-service'), (req, res) => {
          const address = this.addresses.get(`${req.params['userId']}:${req.params['addressId']}`);
          if (!address) throw new AppError('NOT_FOUND', 'Address not found');
          res.json(address);
        });
      },
    });
    this.running = await startHttp(app);
  }

  async stop(): Promise<void> {
    await this.running?.close();
  }

  addRestaurant(overrides: Partial<Omit<FakeRestaurant, 'items'>> = {}): FakeRestaurant {
    const restaurant: FakeRestaurant = {
      restaurantId: randomUUID(),
      ownerId: randomUUID(),
      name: 'Trattoria Test',
      location: { lat: 52.52, lng: 13.405 },
      currency: 'USD',
      deliveryFeeCents: 299,
      minOrderCents: 1000,
      isOpen: true,
      isAcceptingOrders: true,
      ...overrides,
      items: [
        { id: randomUUID(), name: 'Margherita', priceCents: 900, isAvailable: true },
        { id: randomUUID(), name: 'Tiramisu', priceCents: 550, isAvailable: true },
        { id: randomUUID(), name: 'Espresso', priceCents: 250, isAvailable: true },
      ],
    };
    this.restaurants.set(restaurant.restaurantId, restaurant);
    return restaurant;
  }

  addAddress(userId: string): FakeAddress {
    const address: FakeAddress = {
      id: randomUUID(),
      label: 'Home',
      street: 'Torstraße 1',
      city: 'Berlin',
      postalCode: '10119',
      location: { lat: 52.53, lng: 13.41 },
      isDefault: true,
    };
    this.addresses.set(`${userId}:${address.id}`, address);
    return address;
  }

  private price(items: { menuItemId: string; quantity: number }[]) {
    const found = items.map((line) => {
      for (const restaurant of this.restaurants.values()) {
        const item = restaurant.items.find((i) => i.id === line.menuItemId);
        if (item) return { restaurant, item, quantity: line.quantity };
      }
      throw new AppError('NOT_FOUND', `Menu item ${line.menuItemId} not found`);
    });
    const restaurant = found[0]?.restaurant;
    if (!restaurant || found.some((f) => f.restaurant !== restaurant)) {
      throw new AppError('CART_RESTAURANT_MISMATCH', 'The items belong to different restaurants');
    }
    const { items: _menu, ...info } = restaurant;
    return {
      restaurant: info,
      lines: found.map(({ item, quantity }) => ({
        menuItemId: item.id,
        name: item.name,
        unitPriceCents: item.priceCents,
        quantity,
        lineTotalCents: item.priceCents * quantity,
        isAvailable: item.isAvailable,
      })),
    };
  }
}

export interface OrderServiceUnderTest {
  baseUrl: string;
  db: Database;
  redis: Redis;
  broker: Broker;
  payments: TestPaymentProvider;
  service: OrderApp;
  close(): Promise<void>;
}

const keys = generateTestKeys();

export const tokenFor = (role: Role, sub: string = randomUUID()): string =>
  signTestAccessToken({ privateKey: keys.privateKey, sub, role });

/** The real order service on a free port, against the test PostgreSQL, Redis and RabbitMQ. */
export async function startOrderService(options: {
  restaurantUrl: string;
  userUrl: string;
  env?: Record<string, string>;
  consumerRetryDelaysMs?: number[];
}): Promise<OrderServiceUnderTest> {
  const config = loadConfig(
    testEnv('orders_service', {
      JWT_PUBLIC_KEY: keys.publicKey,
      RESTAURANT_SERVICE_URL: options.restaurantUrl,
      USER_SERVICE_URL: options.userUrl,
      ...options.env,
    }),
  );
  const logger = createLogger({ service: 'order-service-test', silent: process.env['TEST_LOGS'] !== '1' });
  const metrics = createMetrics('order-service');
  const db = new Database({ url: config.database.url, max: 20, logger, applicationName: 'order-service-test' });
  const redis = createRedis(config.redisUrl, logger, 'order-service-test');
  const broker = new Broker({ url: config.amqpUrl, logger, name: 'order-service-test' });
  await broker.waitForConnection();
  const payments = new TestPaymentProvider();
  const service = createApp({
    config,
    logger,
    metrics,
    db,
    redis,
    broker,
    paymentProvider: payments,
    ...(options.consumerRetryDelaysMs ? { consumerRetryDelaysMs: options.consumerRetryDelaysMs } : {}),
  });
  await service.start();
  const running = await startHttp(service.app);
  return {
    baseUrl: running.baseUrl,
    db,
    redis,
    broker,
    payments,
    service,
    close: async () => {
      await running.close();
      await service.stop();
      await broker.close();
      redis.disconnect();
      await db.close();
    },
  };
}

/** A customer with a saved address and a token. */
export function newCustomer(peers: FakePeers): { id: string; token: string; addressId: string } {
  const id = randomUUID();
  return { id, token: tokenFor('customer', id), addressId: peers.addAddress(id).id };
}

/** Fills the customer's cart through the API and places a card order; returns the created order. */
export async function placeOrder(
  baseUrl: string,
  customer: { token: string; addressId: string },
  restaurant: FakeRestaurant,
  payment: Record<string, string> = { method: 'card', cardToken: 'tok_visa' },
) {
  const [first, second] = restaurant.items;
  for (const [item, quantity] of [
    [first, 1],
    [second, 1],
  ] as const) {
    const added = await http('POST', `${baseUrl}/api/cart/items`, {
      token: customer.token,
      body: { menuItemId: item?.id, quantity },
    });
    if (added.status !== 200) throw new Error(`Adding to the cart answered ${added.status}`);
  }
  const created = await http('POST', `${baseUrl}/api/orders`, {
    token: customer.token,
    headers: { 'Idempotency-Key': randomUUID() },
    body: { addressId: customer.addressId, payment },
  });
  if (created.status !== 201) throw new Error(`Checkout answered ${created.status}: ${JSON.stringify(created.body)}`);
  return created.body;
}

/** Publishes a delivery-flow event the way the delivery service does. */
export async function publishDeliveryEvent(
  broker: Broker,
  type: 'delivery.assigned' | 'delivery.picked_up' | 'delivery.delivered',
  data: Record<string, unknown>,
): Promise<EventEnvelope> {
  const event = createEvent(type, data, randomUUID());
  await broker.publish(event);
  return event;
}

/** A raw AMQP channel on the test vhost, for test queues of the tests' own. */
export async function openTestChannel(): Promise<{ channel: amqplib.Channel; close: () => Promise<void> }> {
  const connection = await amqplib.connect(testEnv('orders_service')['AMQP_URL'] as string);
  const channel = await connection.createChannel();
  await channel.assertExchange(ORDERS_EXCHANGE, 'topic', { durable: true });
  return { channel, close: () => connection.close() };
}

/** The URL of a port nobody listens on: a peer service that is down. */
export async function deadUrl(): Promise<string> {
  const running = await startHttp(createServer());
  await running.close();
  return running.baseUrl;
}
