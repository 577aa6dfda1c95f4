import { randomUUID } from 'node:crypto';
import {
  createEvent,
  createLogger,
  createMetrics,
  createRedis,
  Database,
  type EventData,
  type EventType,
  type LatLng,
  ORDERS_EXCHANGE,
  type OrderRef,
  type Redis,
  type Role,
  Broker,
} from '@foodflow/platform';
import { eventually, generateTestKeys, signTestAccessToken, startHttp } from '@foodflow/platform/testing';
import amqplib from 'amqplib';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { uniquePlace } from '../../../tests/setup/places.js';
import { testEnv } from '../../../tests/setup/test-env.js';
import { deadUrl } from '../../order/test/support.js';
import { createApp, type DeliveryApp } from '../src/app.js';
import { BatchingTokenVerifier } from '../src/auth/batching-token-verifier.js';
import { loadDeliveryConfig } from '../src/config.js';

export const keys = generateTestKeys();

export const env = testEnv('deliveries_service', {
  JWT_PUBLIC_KEY: keys.publicKey,
  ASSIGNMENT_SWEEP_INTERVAL_MS: '500',
  SOCKET_STREAM_NAME: `delivery-test:${randomUUID()}`,
});

export const token = (role: Role, sub: string = randomUUID(), firstName = 'Test', expiresInS?: number): string =>
  signTestAccessToken({ privateKey: keys.privateKey, role, sub, firstName, ...(expiresInS ? { expiresInS } : {}) });

export interface User {
  id: string;
  token: string;
}

export const user = (role: Role, firstName = 'Test'): User => {
  const id = randomUUID();
  return { id, token: token(role, id, firstName) };
};

export interface Instance {
  baseUrl: string;
  app: DeliveryApp;
  close: () => Promise<void>;
}

/**
 * One real delivery-service instance on a free port, with its own connections. Unless `extra` names one, its
 * order service is down: an order missing from the copy is then 503, whatever listens on the development port.
 * `consume: false` leaves the event consumers, the outbox relay and the periodic jobs unstarted, so the
 * copy of orders receives nothing.
 */
export async function startInstance(
  extra: Record<string, string> = {},
  { consume = true }: { consume?: boolean } = {},
): Promise<Instance> {
  const config = loadDeliveryConfig({ ...env, ORDER_SERVICE_URL: await deadUrl(), ...extra });
  const logger = createLogger({ service: 'delivery-test', level: 'error', silent: true });
  const metrics = createMetrics('delivery-service');
  const db = new Database({ url: config.database.url, max: 10, logger, metrics, applicationName: 'delivery-test' });
  const redis = createRedis(config.redisUrl, logger, 'delivery-test');
  const socketRedis = createRedis(config.redisUrl, logger, 'delivery-test-socket.io');
  const broker = new Broker({ url: config.amqpUrl, logger, name: 'delivery-test' });
  await broker.waitForConnection();
  const verifier = new BatchingTokenVerifier({ ...config.auth, redis });
  const app = createApp({ config, logger, metrics, db, redis, socketRedis, broker, verifier });
  if (consume) await app.start();
  const running = await startHttp(app.server);
  return {
    baseUrl: running.baseUrl,
    app,
    close: async () => {
      await app.stop();
      await running.close();
      await broker.close();
      redis.disconnect();
      socketRedis.disconnect();
      await db.close();
    },
  };
}

/** A spot on the map no other test is given, so only this test's drivers and deliveries are near it. */
export const uniqueArea = (): Promise<LatLng> => uniquePlace();

/** The contract's `tracking` for an order that exists but has no delivery yet. */
export const trackingBeforeDelivery = (orderId: string) => ({
  orderId,
  status: 'pending',
  deliveryId: null,
  deliveryStatus: null,
  driver: null,
  location: null,
  etaMinutes: null,
});

/** A point about `km` east of `p`. */
export function eastOf(p: LatLng, km: number): LatLng {
  return { lat: p.lat, lng: p.lng + km / (111.32 * Math.cos((p.lat * Math.PI) / 180)) };
}

/** An order and the people who may follow it. */
export interface Parties {
  ref: OrderRef;
  customer: User;
  owner: User;
}

export function orderRef(): OrderRef {
  return {
    orderId: randomUUID(),
    customerId: randomUUID(),
    restaurantId: randomUUID(),
    restaurantOwnerId: randomUUID(),
  };
}

/**
 * The test's side of the world: publishes events as the order service would, and reads the
 * delivery schema to check outcomes and to remove what the test created.
 */
export class World {
  readonly db: Database;
  readonly redis: Redis;
  private connection!: amqplib.ChannelModel;
  channel!: amqplib.ConfirmChannel;
  private readonly orderIds = new Set<string>();
  private readonly driverIds = new Set<string>();

  constructor() {
    const logger = createLogger({ service: 'delivery-test', silent: true });
    this.db = new Database({ url: env['DATABASE_URL']!, logger, applicationName: 'delivery-test-world' });
    this.redis = createRedis(env['REDIS_URL']!, logger, 'delivery-test-world');
  }

  async open(): Promise<this> {
    this.connection = await amqplib.connect(env['AMQP_URL']!);
    this.channel = await this.connection.createConfirmChannel();
    await this.channel.assertExchange(ORDERS_EXCHANGE, 'topic', { durable: true });
    return this;
  }

  async publish<T extends EventType>(type: T, data: EventData[T], id: string = randomUUID()): Promise<string> {
    const orderId = (data as { orderId?: string }).orderId;
    if (orderId) this.orderIds.add(orderId);
    const event = { ...createEvent(type, data, `test-${randomUUID()}`), id };
    await this.publishRaw(type, JSON.stringify(event), id);
    return id;
  }

  async publishRaw(routingKey: string, content: string, messageId: string = randomUUID()): Promise<void> {
    this.channel.publish(ORDERS_EXCHANGE, routingKey, Buffer.from(content), {
      persistent: true,
      contentType: 'application/json',
      messageId,
      type: routingKey,
    });
    await this.channel.waitForConfirms();
  }

  /** An order placed by a fresh customer at a fresh owner's restaurant, once its copy exists. */
  async placedOrder(): Promise<Parties> {
    const customer = user('customer');
    const owner = user('restaurant_owner');
    const ref = { ...orderRef(), customerId: customer.id, restaurantOwnerId: owner.id };
    await this.publish('order.created', {
      ...ref,
      items: [],
      totalCents: 1200,
      currency: 'USD',
      deliveryAddress: {
        label: 'Home',
        street: '1 Main St',
        city: 'Town',
        postalCode: '1000',
        location: await uniqueArea(),
      },
    });
    await eventually(async () => ((await this.orderCopy(ref.orderId)) ? true : undefined));
    return { ref, customer, owner };
  }

  /** This service's copy of the order, if it has one. */
  async orderCopy(orderId: string): Promise<{ status: string } | undefined> {
    const { rows } = await this.db.query<{ status: string }>('SELECT status FROM orders WHERE id = $1', [orderId]);
    return rows[0];
  }

  /** An order as far as `order.ready`, its pickup at `pickup` and dropoff 2 km away. */
  async readyOrder(pickup: LatLng, ref: OrderRef = orderRef()): Promise<OrderRef> {
    await this.publish('order.ready', { ...ref, pickup, dropoff: eastOf(pickup, 2) });
    return ref;
  }

  async goOnline(baseUrl: string, driver: User, location: LatLng): Promise<void> {
    this.driverIds.add(driver.id);
    const { status } = await fetch(`${baseUrl}/api/drivers/availability`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${driver.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ online: true, location }),
    });
    if (status !== 200) throw new Error(`availability answered ${status}`);
  }

  async delivery(orderId: string) {
    const { rows } = await this.db.query<{ id: string; status: string; driver_id: string | null }>(
      'SELECT id, status, driver_id FROM deliveries WHERE order_id = $1',
      [orderId],
    );
    return rows[0];
  }

  /** Removes every order, delivery and driver this test created. */
  async close(): Promise<void> {
    const orderIds = [...this.orderIds];
    await this.db.query('DELETE FROM deliveries WHERE order_id = ANY($1::uuid[])', [orderIds]);
    await this.db.query('DELETE FROM orders WHERE id = ANY($1::uuid[])', [orderIds]);
    const drivers = [...this.driverIds];
    if (drivers.length > 0) {
      await this.redis.zrem('delivery:drivers:geo', ...drivers);
      await this.redis.zrem('delivery:drivers:seen', ...drivers);
      await this.redis.hdel('delivery:drivers:names', ...drivers);
    }
    await this.connection?.close();
    this.redis.disconnect();
    await this.db.close();
  }
}

/** A connected Socket.IO client, or the `connect_error` it got. */
export function connect(baseUrl: string, accessToken: string | undefined): Promise<Socket> {
  const socket = connectSocket(baseUrl, {
    path: '/socket.io',
    auth: accessToken === undefined ? {} : { token: accessToken },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Collects every message of one event a socket receives. */
export function collect<T = any>(socket: Socket, event: string): T[] {
  const received: T[] = [];
  socket.on(event, (payload: T) => received.push(payload));
  return received;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
