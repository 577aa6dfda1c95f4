import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import amqplib from 'amqplib';
import {
  Broker,
  createEvent,
  createLogger,
  createMetrics,
  createRedis,
  Database,
  type EventEnvelope,
  type LatLng,
  listen,
  ORDER_STATUSES,
  ORDERS_EXCHANGE,
  type OrderStatus,
  type Redis,
  type Role,
} from '@foodflow/platform';
import { eventually, generateTestKeys, http, signTestAccessToken, startHttp } from '@foodflow/platform/testing';
import { testEnv } from '../../../tests/setup/test-env.js';
import {
  createCategory,
  createItem,
  createRestaurant,
  startRestaurantService,
  type TestRestaurantService,
} from '../../restaurant/test/support.js';
import { register, sampleAddress, startUserService, type TestUserService } from '../../user/test/support.js';
import { createApp, type OrderApp } from '../src/app.js';
import { loadConfig, type OrderServiceConfig } from '../src/config.js';
import type { AuthorizationRequest, AuthorizationResult } from '../src/payments/payment-provider.js';
import { TestPaymentProvider } from '../src/payments/test-payment-provider.js';

export { sampleAddress } from '../../user/test/support.js';

const keys = generateTestKeys();

/** A token every service under test accepts (they all verify with this run's public key). */
export const tokenFor = (role: Role, sub: string = randomUUID()): string =>
  signTestAccessToken({ privateKey: keys.privateKey, sub, role });

export interface MenuItem {
  id: string;
  name: string;
  priceCents: number;
}

/** A restaurant created through the restaurant service's API, with the menu the tests order from. */
export interface Restaurant {
  restaurantId: string;
  ownerId: string;
  location: LatLng;
  /** Margherita (900), Tiramisu (550) and Espresso (250). */
  items: [MenuItem, MenuItem, MenuItem];
}

export interface Customer {
  id: string;
  token: string;
  addressId: string;
}

const MENU = [
  { name: 'Margherita', priceCents: 900 },
  { name: 'Tiramisu', priceCents: 550 },
  { name: 'Espresso', priceCents: 250 },
] as const;

/** Fails the test with the answer when a call that sets the scene does not succeed. */
function expectStatus<T>(res: { status: number; body: T }, status: number, what: string): T {
  if (res.status !== status) throw new Error(`${what} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * The order service's peers, for real: the user and restaurant services on free ports against the same
 * test database, Redis and broker. Tests set the scene through their public APIs, as their users would.
 */
export class PeerServices {
  private userService: TestUserService | undefined;
  private restaurantService: TestRestaurantService | undefined;
  private restaurantPort = 0;

  get userUrl(): string {
    return this.running(this.userService).baseUrl;
  }

  get restaurantUrl(): string {
    return this.running(this.restaurantService).baseUrl;
  }

  /**
   * `consumeOrders` also runs the restaurant service's order.created consumer (its popularity count);
   * `env` gives each service's database role settings of its own (another database, say).
   */
  async start(
    options: { consumeOrders?: boolean; env?: (role: string) => Record<string, string> } = {},
  ): Promise<void> {
    const env = options.env ?? (() => ({}));
    [this.userService, this.restaurantService] = await Promise.all([
      startUserService(env('users_service'), keys),
      startRestaurantService({
        env: { JWT_PUBLIC_KEY: keys.publicKey, ...env('restaurants_service') },
        consume: options.consumeOrders ?? false,
      }),
    ]);
    this.restaurantPort = Number(new URL(this.restaurantService.baseUrl).port);
  }

  async stop(): Promise<void> {
    await Promise.all([this.userService?.close(), this.restaurantService?.close()]);
  }

  /** The restaurant service stops answering: its port refuses connections, as when its process is down. */
  async stopRestaurantService(): Promise<void> {
    const { server } = this.running(this.restaurantService);
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }

  /** The restaurant service is back, at the address the order service knows. */
  async startRestaurantService(): Promise<void> {
    const { server } = this.running(this.restaurantService);
    if (!server.listening) await listen(server, this.restaurantPort, '127.0.0.1');
  }

  /** How many pricing requests the restaurant service has answered so far. */
  async pricingCalls(): Promise<number> {
    const metrics = await http<string>('GET', `${this.restaurantUrl}/metrics`);
    return metrics.body
      .split('\n')
      .filter((line) => /^http_request_duration_seconds_count\{.*route="\/internal\/pricing"/.test(line))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  /** The orders the restaurant service has counted for the restaurant, from its order.created consumer. */
  async orderCount(restaurant: Restaurant): Promise<number> {
    const { rows } = await this.running(this.restaurantService).db.query<{ n: number }>(
      'SELECT order_count AS n FROM restaurants WHERE id = $1',
      [restaurant.restaurantId],
    );
    return rows[0]?.n ?? 0;
  }

  /** A restaurant open around the clock, owned by a new owner, with the three dishes of `MENU`. */
  async addRestaurant(changes: { deliveryFeeCents?: number; minOrderCents?: number } = {}): Promise<Restaurant> {
    const service = this.running(this.restaurantService);
    const ownerId = randomUUID();
    const owner = tokenFor('restaurant_owner', ownerId);
    const created = await createRestaurant(service, owner, changes);
    const category = await createCategory(service, owner, created.id);
    const add = async (dish: (typeof MENU)[number]): Promise<MenuItem> => {
      const item = await createItem(service, owner, category.id, dish);
      return { id: item.id, name: item.name, priceCents: item.priceCents };
    };
    // One after another, so the menu lists them in this order.
    const items: Restaurant['items'] = [await add(MENU[0]), await add(MENU[1]), await add(MENU[2])];
    return { restaurantId: created.id, ownerId, location: created.address.location, items };
  }

  /** `PUT /api/restaurants/:id` by its owner: opening hours, `isAcceptingOrders`, fees. */
  async changeRestaurant(restaurant: Restaurant, changes: Record<string, unknown>): Promise<void> {
    const res = await http('PUT', `${this.restaurantUrl}/api/restaurants/${restaurant.restaurantId}`, {
      token: tokenFor('restaurant_owner', restaurant.ownerId),
      body: changes,
    });
    expectStatus(res, 200, 'Changing the restaurant');
  }

  /** `PUT /api/menus/items/:id` by the restaurant's owner: price, availability. */
  async changeItem(restaurant: Restaurant, item: MenuItem, changes: Record<string, unknown>): Promise<void> {
    const res = await http('PUT', `${this.restaurantUrl}/api/menus/items/${item.id}`, {
      token: tokenFor('restaurant_owner', restaurant.ownerId),
      body: changes,
    });
    expectStatus(res, 200, 'Changing the menu item');
  }

  async deleteItem(restaurant: Restaurant, item: MenuItem): Promise<void> {
    const res = await http('DELETE', `${this.restaurantUrl}/api/menus/items/${item.id}`, {
      token: tokenFor('restaurant_owner', restaurant.ownerId),
    });
    expectStatus(res, 204, 'Deleting the menu item');
  }

  /** Saves `sampleAddress()` for the customer the token belongs to; returns the address id. */
  async addAddress(customerToken: string): Promise<string> {
    const res = await http('POST', `${this.userUrl}/api/users/addresses`, {
      token: customerToken,
      body: sampleAddress(),
    });
    return expectStatus(res, 201, 'Saving the address').id;
  }

  private running<T>(service: T | undefined): T {
    if (!service) throw new Error('The peer services are not running');
    return service;
  }
}

/**
 * The card network's test mode (the one part outside the platform the tests may play): it can keep the
 * next authorization waiting until the test lets it go, so a checkout can be caught in flight.
 */
export class HoldableCardNetwork extends TestPaymentProvider {
  private hold: { reached: () => void; released: Promise<void> } | undefined;

  /** The next authorization waits inside the network until `release()`; `reached` settles once it is there. */
  holdNextAuthorization(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.hold = { reached, released };
    return { reached: reachedPromise, release };
  }

  override async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
    const hold = this.hold;
    this.hold = undefined;
    if (hold) {
      hold.reached();
      await hold.released;
    }
    return super.authorize(request);
  }
}

export interface OrderServiceUnderTest {
  baseUrl: string;
  config: OrderServiceConfig;
  db: Database;
  redis: Redis;
  broker: Broker;
  payments: HoldableCardNetwork;
  service: OrderApp;
  close(): Promise<void>;
}

/** The real order service on a free port, against the test PostgreSQL, Redis and RabbitMQ and the real peers. */
export async function startOrderService(options: {
  peers: PeerServices;
  env?: Record<string, string>;
  consumerRetryDelaysMs?: number[];
}): Promise<OrderServiceUnderTest> {
  const config = loadConfig(
    testEnv('orders_service', {
      JWT_PUBLIC_KEY: keys.publicKey,
      RESTAURANT_SERVICE_URL: options.peers.restaurantUrl,
      USER_SERVICE_URL: options.peers.userUrl,
      ...options.env,
    }),
  );
  const logger = createLogger({ service: 'order-service-test', silent: process.env['TEST_LOGS'] !== '1' });
  const metrics = createMetrics('order-service');
  const db = new Database({ url: config.database.url, max: 20, logger, applicationName: 'order-service-test' });
  const redis = createRedis(config.redisUrl, logger, 'order-service-test');
  const broker = new Broker({ url: config.amqpUrl, logger, name: 'order-service-test' });
  await broker.waitForConnection();
  const payments = new HoldableCardNetwork();
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
    config,
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

/** A customer registered with the user service, with a saved address and the access token it issued. */
export async function newCustomer(peers: PeerServices): Promise<Customer> {
  const { user, accessToken } = await register(peers.userUrl);
  return { id: user.id, token: accessToken, addressId: await peers.addAddress(accessToken) };
}

/** Fills the customer's cart through the API and places a card order; returns the created order. */
export async function placeOrder(
  baseUrl: string,
  customer: { token: string; addressId: string },
  restaurant: Restaurant,
  payment: Record<string, string> = { method: 'card', cardToken: 'tok_visa' },
) {
  const [first, second] = restaurant.items;
  for (const item of [first, second]) {
    const added = await http('POST', `${baseUrl}/api/cart/items`, {
      token: customer.token,
      body: { menuItemId: item.id, quantity: 1 },
    });
    expectStatus(added, 200, 'Adding to the cart');
  }
  const created = await http('POST', `${baseUrl}/api/orders`, {
    token: customer.token,
    headers: { 'Idempotency-Key': randomUUID() },
    body: { addressId: customer.addressId, payment },
  });
  return expectStatus(created, 201, 'Checkout');
}

/** The delivery of an order, as its events name it. */
export type DeliveryRef = { deliveryId: string; orderId: string; driverId: string };

/**
 * A fresh order of a fresh customer, with a driver assigned, brought to `status` through the real flows:
 * the owner's steps over the API, pickup and delivery as the delivery service's events for `delivery`,
 * cancellation by an admin.
 */
export async function orderIn(
  svc: OrderServiceUnderTest,
  peers: PeerServices,
  restaurant: Restaurant,
  status: OrderStatus,
  payment?: Record<string, string>,
): Promise<{ id: string; customer: Customer; delivery: DeliveryRef }> {
  const customer = await newCustomer(peers);
  const { id } = await placeOrder(svc.baseUrl, customer, restaurant, payment);
  const delivery = { deliveryId: randomUUID(), orderId: id, driverId: randomUUID() };
  const admin = tokenFor('admin');
  const reached = (check: (order: { status: OrderStatus; driverId: string | null }) => boolean) =>
    eventually(async () =>
      check((await http('GET', `${svc.baseUrl}/api/orders/${id}`, { token: admin })).body) ? true : undefined,
    );
  const move = async (token: string, to: OrderStatus) => {
    const res = await http('PUT', `${svc.baseUrl}/api/orders/${id}/status`, { token, body: { status: to } });
    expectStatus(res, 200, `Moving the order to ${to}`);
  };

  await publishDeliveryEvent(svc.broker, 'delivery.assigned', delivery);
  await reached((order) => order.driverId === delivery.driverId);
  if (status === 'cancelled') {
    await move(admin, 'cancelled');
    return { id, customer, delivery };
  }
  for (const step of ORDER_STATUSES.slice(1, ORDER_STATUSES.indexOf(status) + 1)) {
    if (step === 'picked_up' || step === 'delivered') {
      await publishDeliveryEvent(svc.broker, `delivery.${step}`, delivery);
      await reached((order) => order.status === step);
    } else {
      await move(tokenFor('restaurant_owner', restaurant.ownerId), step);
    }
  }
  return { id, customer, delivery };
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
