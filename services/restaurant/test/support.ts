import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import {
  Broker,
  createEvent,
  createLogger,
  createMetrics,
  createRedis,
  Database,
  type Redis,
  type Role,
} from '@foodflow/platform';
import { generateTestKeys, http, type RunningApp, signTestAccessToken, startHttp } from '@foodflow/platform/testing';
import { anywhere } from '../../../tests/setup/places.js';
import { testEnv } from '../../../tests/setup/test-env.js';
import { createApp } from '../src/app.js';
import type { Clock } from '../src/cache/public-cache.js';
import { loadConfig, type RestaurantConfig } from '../src/config.js';

export interface TestRestaurantService {
  baseUrl: string;
  config: RestaurantConfig;
  db: Database;
  redis: Redis;
  broker: Broker;
  /** Its HTTP server, so a test can stop and resume listening to play the service being down. */
  server: Server;
  /** An access token for a user with this role (a fresh user unless `sub` is given). */
  token: (role: Role, sub?: string) => string;
  close: () => Promise<void>;
}

const keys = generateTestKeys();

/**
 * The real restaurant service on a free port, against the test PostgreSQL, Redis and RabbitMQ. The
 * order.created consumer runs only when asked, so one test file has one consumer on the queue.
 */
export async function startRestaurantService(
  options: { env?: Record<string, string>; clock?: Clock; consume?: boolean } = {},
): Promise<TestRestaurantService> {
  const config = loadConfig(testEnv('restaurants_service', { JWT_PUBLIC_KEY: keys.publicKey, ...options.env }));
  const logger = createLogger({ service: config.service, level: config.logLevel, silent: true });
  const metrics = createMetrics(config.service);
  const db = new Database({ url: config.database.url, logger, metrics, applicationName: 'restaurant-service-test' });
  const redis = createRedis(config.redisUrl, logger, 'restaurant-service-test');
  const broker = new Broker({ url: config.amqpUrl, logger, name: 'restaurant-service-test' });
  const service = createApp({ config, logger, metrics, db, redis, broker, clock: options.clock });
  if (options.consume) await service.start();
  const running: RunningApp = await startHttp(service.app);
  return {
    baseUrl: running.baseUrl,
    config,
    db,
    redis,
    broker,
    server: running.server,
    token: (role, sub = randomUUID()) => signTestAccessToken({ privateKey: keys.privateKey, sub, role }),
    close: async () => {
      await running.close();
      await service.stop();
      await broker.close();
      redis.disconnect();
      await db.close();
    },
  };
}

export { uniquePlace } from '../../../tests/setup/places.js';

/** A point `km` kilometres north of `from`. */
export const north = (from: { lat: number; lng: number }, km: number) => ({
  lat: from.lat + km / 111.195,
  lng: from.lng,
});

export const ALWAYS_OPEN = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '00:00', close: '24:00' }));

export function restaurantBody(overrides: Record<string, unknown> = {}, location = anywhere()) {
  return {
    name: `Test Kitchen ${randomUUID().slice(0, 8)}`,
    description: 'Seasonal plates',
    cuisine: 'italian',
    phone: '+1 212 555 0100',
    address: { street: '1 Test Street', city: 'Testville', postalCode: '10001', location },
    timeZone: 'America/New_York',
    openingHours: ALWAYS_OPEN,
    deliveryFeeCents: 299,
    minOrderCents: 1000,
    prepTimeMinutes: 20,
    ...overrides,
  };
}

/** Creates a restaurant through the API and returns it; fails the test if that does not work. */
export async function createRestaurant(
  service: TestRestaurantService,
  token: string,
  overrides: Record<string, unknown> = {},
  location?: { lat: number; lng: number },
) {
  const response = await http('POST', `${service.baseUrl}/api/restaurants`, {
    token,
    body: restaurantBody(overrides, location),
  });
  if (response.status !== 201) throw new Error(`restaurant not created: ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function createCategory(
  service: TestRestaurantService,
  token: string,
  restaurantId: string,
  name = 'Mains',
) {
  const response = await http('POST', `${service.baseUrl}/api/menus/categories`, {
    token,
    body: { restaurantId, name },
  });
  if (response.status !== 201) throw new Error(`category not created: ${JSON.stringify(response.body)}`);
  return response.body;
}

export async function createItem(
  service: TestRestaurantService,
  token: string,
  categoryId: string,
  overrides: Record<string, unknown> = {},
) {
  const response = await http('POST', `${service.baseUrl}/api/menus/items`, {
    token,
    body: { categoryId, name: `Dish ${randomUUID().slice(0, 6)}`, priceCents: 1250, ...overrides },
  });
  if (response.status !== 201) throw new Error(`item not created: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** `order.created` for an order at `restaurantId`, as the order service publishes it. */
export const orderCreatedAt = (restaurantId: string) =>
  createEvent('order.created', {
    orderId: randomUUID(),
    customerId: randomUUID(),
    restaurantId,
    restaurantOwnerId: randomUUID(),
    items: [],
    totalCents: 2500,
    currency: 'USD',
    deliveryAddress: {
      label: 'Home',
      street: '1 Main St',
      city: 'New York',
      postalCode: '10001',
      location: { lat: 40.7128, lng: -74.006 },
    },
  });
