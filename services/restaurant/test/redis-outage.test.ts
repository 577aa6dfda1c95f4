import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createRedis, type Redis, signServiceToken } from '@foodflow/platform';
import { eventually, http } from '@foodflow/platform/testing';
import { TEST_REDIS_URL } from '../../../tests/setup/test-env.js';
import { PublicCache } from '../src/cache/public-cache.js';
import {
  createCategory,
  createItem,
  createRestaurant,
  restaurantBody,
  startRestaurantService,
  type TestRestaurantService,
  uniquePlace,
} from './support.js';

/**
 * One instance with Redis and one whose Redis cannot be reached (nothing listens on port 1), over the same
 * database: what the first writes, the second must still serve, and what the second is asked to write
 * must not happen by halves.
 */
let healthy: TestRestaurantService;
let cut: TestRestaurantService;
const ownerId = randomUUID();
let owner: string;
let place: { lat: number; lng: number };
let restaurant: { id: string; name: string };
let category: { id: string };
let item: { id: string; name: string; priceCents: number };

/** Everything the owner has in the database, to compare before and after the refused writes. */
async function ownersRows() {
  const query = async (sql: string) => (await healthy.db.query(sql, [ownerId])).rows;
  return {
    restaurants: await query('SELECT * FROM restaurants WHERE owner_id = $1 ORDER BY id'),
    categories: await query(
      'SELECT c.* FROM menu_categories c JOIN restaurants r ON r.id = c.restaurant_id WHERE r.owner_id = $1 ORDER BY c.id',
    ),
    items: await query(
      'SELECT i.* FROM menu_items i JOIN restaurants r ON r.id = i.restaurant_id WHERE r.owner_id = $1 ORDER BY i.id',
    ),
  };
}

beforeAll(async () => {
  healthy = await startRestaurantService();
  cut = await startRestaurantService({ env: { REDIS_URL: 'redis://127.0.0.1:1/1' } });
  owner = healthy.token('restaurant_owner', ownerId);
  place = await uniquePlace();
  restaurant = await createRestaurant(healthy, owner, {}, place);
  category = await createCategory(healthy, owner, restaurant.id, 'Ramen');
  item = await createItem(healthy, owner, category.id, { name: 'Shoyu Ramen', priceCents: 1400 });
});
afterAll(async () => {
  await cut.close();
  await healthy.close();
});

describe('Redis unreachable', () => {
  it('when the public reads the restaurant, its menu and the list around it, then 200 from the database', async () => {
    const detail = await http('GET', `${cut.baseUrl}/api/restaurants/${restaurant.id}`);
    const menu = await http('GET', `${cut.baseUrl}/api/restaurants/${restaurant.id}/menu`);
    const list = await http('GET', `${cut.baseUrl}/api/restaurants?near=${place.lat},${place.lng}`);
    expect([detail.status, menu.status, list.status]).toEqual([200, 200, 200]);
    expect(detail.body).toMatchObject({ id: restaurant.id, name: restaurant.name });
    expect(menu.body.categories).toEqual([
      { id: category.id, name: 'Ramen', position: 0, items: [expect.objectContaining({ id: item.id })] },
    ]);
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([restaurant.id]);
  });

  it('when the order service prices a cart, then 200: checkout does not need Redis here', async () => {
    const response = await http('POST', `${cut.baseUrl}/internal/pricing`, {
      headers: {
        authorization: `Service ${signServiceToken(cut.config.internal.secret, 'order-service', 'restaurant-service')}`,
      },
      body: { items: [{ menuItemId: item.id, quantity: 2 }] },
    });
    expect(response.status).toBe(200);
    expect(response.body.lines).toEqual([expect.objectContaining({ menuItemId: item.id, lineTotalCents: 2800 })]);
  });

  it('when the owner writes, then 503 DEPENDENCY_UNAVAILABLE in the error shape, and nothing is written', async () => {
    // The token's revocation cannot be checked without Redis, so the service refuses rather than trust it.
    const before = await ownersRows();
    const writes: [string, string, unknown?][] = [
      ['POST', '/api/restaurants', restaurantBody()],
      ['PUT', `/api/restaurants/${restaurant.id}`, { name: 'Renamed in the dark', isAcceptingOrders: false }],
      ['POST', '/api/menus/categories', { restaurantId: restaurant.id, name: 'Udon' }],
      ['PUT', `/api/menus/categories/${category.id}`, { name: 'Noodles', position: 3 }],
      ['DELETE', `/api/menus/categories/${category.id}`],
      ['POST', '/api/menus/items', { categoryId: category.id, name: 'Miso Ramen', priceCents: 1500 }],
      ['PUT', `/api/menus/items/${item.id}`, { priceCents: 1, isAvailable: false }],
      ['DELETE', `/api/menus/items/${item.id}`],
    ];
    for (const [method, path, body] of writes) {
      const requestId = randomUUID();
      const response = await http(method, `${cut.baseUrl}${path}`, {
        token: owner,
        body,
        headers: { 'x-request-id': requestId },
      });
      expect(response.status, `${method} ${path}`).toBe(503);
      expect(response.body, `${method} ${path}`).toEqual({
        error: { code: 'DEPENDENCY_UNAVAILABLE', message: expect.any(String), requestId },
      });
    }
    expect(await ownersRows()).toEqual(before);
  });
});

describe('Writes while Redis is away', () => {
  /** Closes the client's connection and waits until it is closed: an outage as the cache sees one. */
  const cut = async (redis: Redis): Promise<void> => {
    const closed = once(redis, 'end');
    redis.disconnect();
    await closed;
  };

  it('when several writes cannot invalidate during one outage, then it is logged once per outage', async () => {
    const output = new PassThrough();
    let written = '';
    output.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const logger = createLogger({ service: 'restaurant-test', stream: output });
    const redis = createRedis(TEST_REDIS_URL, logger);
    const cache = new PublicCache(redis, logger, () => new Date());
    /** The warnings written so far, once all that was logged before has come through (lines arrive in order). */
    let marks = 0;
    const warnings = async (): Promise<number> => {
      const mark = `mark ${(marks += 1)}`;
      logger.info(mark);
      await eventually(async () => (written.includes(mark) ? true : undefined));
      return written.split('\n').filter((line) => line.includes('Redis is unavailable')).length;
    };
    try {
      if (redis.status !== 'ready') await once(redis, 'ready');

      await cut(redis);
      await cache.invalidate({ kind: 'list' });
      await cache.invalidate({ kind: 'restaurant', id: randomUUID() });
      expect(await warnings()).toBe(1);

      const back = once(redis, 'ready');
      await redis.connect();
      await back;
      await cache.invalidate({ kind: 'list' });
      expect(await warnings()).toBe(1);

      await cut(redis);
      await cache.invalidate({ kind: 'list' });
      expect(await warnings()).toBe(2);
    } finally {
      cache.close();
      redis.disconnect();
    }
  });
});
