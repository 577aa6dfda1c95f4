import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http, metricValue } from '@foodflow/platform/testing';
import {
  createCategory,
  createItem,
  createRestaurant,
  north,
  orderCreatedAt,
  uniquePlace,
  startRestaurantService,
  type TestRestaurantService,
} from './support.js';

let service: TestRestaurantService;
let owner: string;

const get = async (path: string, instance: TestRestaurantService = service) => {
  const response = await http('GET', `${instance.baseUrl}${path}`);
  expect(response.status).toBe(200);
  return response.body;
};

/**
 * Reads `path` twice and returns the second answer. A search near a point is the caller's own: the
 * instance holds it from its second ask only, so a test of what is held asks it twice first.
 */
const getHeld = async (path: string, instance: TestRestaurantService = service) => {
  await get(path, instance);
  return get(path, instance);
};

beforeAll(async () => {
  // At the top of a minute, so no entry reaches its minute-bounded expiry while a test runs.
  service = await startRestaurantService({ clock: () => new Date('2026-01-05T12:00:00Z') });
  owner = service.token('restaurant_owner');
});
afterAll(() => service.close());

describe('cached public reads', () => {
  it('when the database changes behind the service, then reads keep serving the cached copy', async () => {
    const place = await uniquePlace();
    const restaurant = await createRestaurant(service, owner, {}, place);
    const listPath = `/api/restaurants?near=${place.lat},${place.lng}`;
    expect((await get(`/api/restaurants/${restaurant.id}`)).name).toBe(restaurant.name);
    expect((await getHeld(listPath)).data[0].name).toBe(restaurant.name);

    await service.db.query(`UPDATE restaurants SET name = 'Changed behind its back' WHERE id = $1`, [restaurant.id]);

    expect((await get(`/api/restaurants/${restaurant.id}`)).name).toBe(restaurant.name);
    expect((await get(listPath)).data[0].name).toBe(restaurant.name);
  });

  it('when the same filters come in another order, then they share one cached page', async () => {
    const place = await uniquePlace();
    const restaurant = await createRestaurant(service, owner, { cuisine: 'greek' }, place);
    await getHeld(`/api/restaurants?near=${place.lat},${place.lng}&cuisine=greek`);
    await service.db.query(`UPDATE restaurants SET name = 'Not yet visible' WHERE id = $1`, [restaurant.id]);
    expect((await get(`/api/restaurants?cuisine=greek&near=${place.lat},${place.lng}`)).data[0].name).toBe(
      restaurant.name,
    );
  });

  it('when a search near a point is asked once, then it is not held; once asked again, it is', async () => {
    const place = await uniquePlace();
    const restaurant = await createRestaurant(service, owner, {}, place);
    const listPath = `/api/restaurants?near=${place.lat},${place.lng}&sort=name`;
    const rename = (name: string) =>
      service.db.query(`UPDATE restaurants SET name = $2 WHERE id = $1`, [restaurant.id, name]);
    expect((await get(listPath)).data[0].name).toBe(restaurant.name);

    await rename('Built again');
    // The second ask is built again, and from now on held.
    expect((await get(listPath)).data[0].name).toBe('Built again');
    await rename('Not seen until a write');
    expect((await get(listPath)).data[0].name).toBe('Built again');
  });
});

describe('cache invalidation: the very next read after a write sees it', () => {
  it('when a restaurant is created, then the list shows it', async () => {
    const place = await uniquePlace();
    expect((await getHeld(`/api/restaurants?near=${place.lat},${place.lng}`)).total).toBe(0);
    await createRestaurant(service, owner, {}, place);
    expect((await get(`/api/restaurants?near=${place.lat},${place.lng}`)).total).toBe(1);
  });

  it('when a restaurant is updated, then its detail and every list page show the change', async () => {
    const place = await uniquePlace();
    const restaurant = await createRestaurant(service, owner, {}, place);
    await get(`/api/restaurants/${restaurant.id}`);
    await getHeld(`/api/restaurants?near=${place.lat},${place.lng}`);
    const put = await http('PUT', `${service.baseUrl}/api/restaurants/${restaurant.id}`, {
      token: owner,
      body: { name: 'Fresh Name', isAcceptingOrders: false },
    });
    expect(put.status).toBe(200);
    expect(await get(`/api/restaurants/${restaurant.id}`)).toMatchObject({ name: 'Fresh Name', isOpen: false });
    expect((await get(`/api/restaurants?near=${place.lat},${place.lng}`)).data[0].name).toBe('Fresh Name');
  });

  it('when categories are created, renamed and deleted, then the menu follows each step', async () => {
    const restaurant = await createRestaurant(service, owner);
    const path = `/api/restaurants/${restaurant.id}/menu`;
    expect((await get(path)).categories).toEqual([]);
    const category = await createCategory(service, owner, restaurant.id, 'Soups');
    expect((await get(path)).categories.map((c: { name: string }) => c.name)).toEqual(['Soups']);
    await http('PUT', `${service.baseUrl}/api/menus/categories/${category.id}`, {
      token: owner,
      body: { name: 'Broths' },
    });
    expect((await get(path)).categories.map((c: { name: string }) => c.name)).toEqual(['Broths']);
    await http('DELETE', `${service.baseUrl}/api/menus/categories/${category.id}`, { token: owner });
    expect((await get(path)).categories).toEqual([]);
  });

  it('when items are created, changed and deleted, then the menu follows each step', async () => {
    const restaurant = await createRestaurant(service, owner);
    const path = `/api/restaurants/${restaurant.id}/menu`;
    const category = await createCategory(service, owner, restaurant.id);
    const items = async () => (await get(path)).categories[0].items;
    expect(await items()).toEqual([]);
    const item = await createItem(service, owner, category.id, { priceCents: 800 });
    expect(await items()).toEqual([item]);
    await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, { token: owner, body: { priceCents: 900 } });
    expect((await items())[0].priceCents).toBe(900);
    await http('DELETE', `${service.baseUrl}/api/menus/items/${item.id}`, { token: owner });
    expect(await items()).toEqual([]);
  });
});

describe('several instances', () => {
  let other: TestRestaurantService;

  beforeAll(async () => {
    other = await startRestaurantService({ clock: () => new Date('2026-01-05T12:00:00Z') });
  });
  afterAll(() => other.close());

  it('when another instance writes, then the very next read here sees it', async () => {
    const place = await uniquePlace();
    const restaurant = await createRestaurant(service, owner, {}, place);
    const listPath = `/api/restaurants?near=${place.lat},${place.lng}`;
    const menuPath = `/api/restaurants/${restaurant.id}/menu`;
    expect((await getHeld(listPath, other)).data[0].name).toBe(restaurant.name);
    expect((await http('GET', `${other.baseUrl}${menuPath}`)).body.categories).toEqual([]);

    await http('PUT', `${service.baseUrl}/api/restaurants/${restaurant.id}`, {
      token: owner,
      body: { name: 'Renamed Elsewhere' },
    });
    await createCategory(service, owner, restaurant.id, 'Salads');

    expect((await http('GET', `${other.baseUrl}${listPath}`)).body.data[0].name).toBe('Renamed Elsewhere');
    expect(
      (await http('GET', `${other.baseUrl}${menuPath}`)).body.categories.map((c: { name: string }) => c.name),
    ).toEqual(['Salads']);
  });
});

describe('the shared tier in Redis', () => {
  /** What the service's metrics say of its cache lookups of one kind and outcome. */
  const lookups = async (instance: TestRestaurantService, kind: string, outcome: string): Promise<number> =>
    metricValue((await http('GET', `${instance.baseUrl}/metrics`)).body, 'restaurant_cache_lookups_total', {
      kind,
      outcome,
    });

  it('when one instance has built a page, then a new instance serves it from Redis without the database', async () => {
    const place = await uniquePlace();
    // A cuisine no other test lists, so the filtered page below is this restaurant's alone.
    const cuisine = `cached-${randomUUID().replace(/[^a-f]/g, '')}`;
    const restaurant = await createRestaurant(service, owner, { cuisine }, place);
    await createCategory(service, owner, restaurant.id, 'Dumplings');
    const shared = [
      `/api/restaurants/${restaurant.id}`,
      `/api/restaurants/${restaurant.id}/menu`,
      `/api/restaurants?cuisine=${cuisine}`,
    ];
    // A search near a point is the caller's own: held by the instance that answered it, never in Redis.
    const nearby = `/api/restaurants?near=${place.lat},${place.lng}`;
    const built = await Promise.all(shared.map((path) => get(path)));
    await get(nearby);

    await service.db.query(`UPDATE restaurants SET name = 'Changed behind its back' WHERE id = $1`, [restaurant.id]);
    await service.db.query(`UPDATE menu_categories SET name = 'Changed too' WHERE restaurant_id = $1`, [restaurant.id]);

    const fresh = await startRestaurantService({ clock: () => new Date('2026-01-05T12:00:00Z') });
    try {
      // Until its Redis connection is up, an instance reads from the database (and says so: bypass).
      await eventually(async () => (fresh.redis.status === 'ready' ? true : undefined));
      for (const [i, path] of shared.entries()) {
        expect((await http('GET', `${fresh.baseUrl}${path}`)).body).toEqual(built[i]);
      }
      expect((await http('GET', `${fresh.baseUrl}${nearby}`)).body.data[0].name).toBe('Changed behind its back');
      expect(await lookups(fresh, 'restaurant', 'hit')).toBe(2);
      expect(await lookups(fresh, 'list', 'hit')).toBe(1);
      expect(await lookups(fresh, 'list', 'miss')).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});

describe('popularity', () => {
  let counting: TestRestaurantService;

  beforeAll(async () => {
    counting = await startRestaurantService({ clock: () => new Date('2026-01-05T12:00:00Z'), consume: true });
  });
  afterAll(() => counting.close());

  it('when an order is counted, then pages sorted by popularity reorder, while other pages stay cached', async () => {
    const place = await uniquePlace();
    const created = [
      await createRestaurant(counting, owner, { name: 'Popular One' }, place),
      await createRestaurant(counting, owner, { name: 'Popular Two' }, north(place, 1)),
    ];
    const near = `near=${place.lat},${place.lng}`;
    const ids = async (path: string): Promise<string[]> =>
      (await get(path, counting)).data.map((r: { id: string }) => r.id);
    // With no orders yet, ties are broken by id: the restaurant listed last is the one to order from.
    // Both pages asked twice, so that they are held.
    await ids(`/api/restaurants?${near}&sort=popular`);
    const [, last] = await ids(`/api/restaurants?${near}&sort=popular`);
    const byName = await getHeld(`/api/restaurants?${near}&sort=name`, counting);
    await counting.db.query(`UPDATE restaurants SET name = 'Renamed behind its back' WHERE id = ANY($1)`, [
      created.map((r) => r.id),
    ]);

    await counting.broker.publish(orderCreatedAt(last as string));

    // Cached pages live until the minute ends (a minute of the fixed clock is a real one here): only an
    // invalidation can reorder the page within the probe's 10 seconds.
    await eventually(async () => ((await ids(`/api/restaurants?${near}&sort=popular`))[0] === last ? true : undefined));
    expect(await get(`/api/restaurants?${near}&sort=name`, counting)).toEqual(byName);
  });
});

describe('entity tags', () => {
  it('when a cached read is asked again with its ETag, then 304 until a write changes it', async () => {
    // As a browser revalidates (fetch would otherwise add `Cache-Control: no-cache`, which forbids a 304).
    const revalidate = (etag: string) => ({ headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
    const restaurant = await createRestaurant(service, owner);
    const path = `${service.baseUrl}/api/restaurants/${restaurant.id}/menu`;
    const first = await http('GET', path);
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await http('GET', path, revalidate(etag))).status).toBe(304);

    await createCategory(service, owner, restaurant.id, 'Soups');

    const changed = await http('GET', path, revalidate(etag));
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(changed.body.categories.map((c: { name: string }) => c.name)).toEqual(['Soups']);
  });
});

describe('a read answered from this process', () => {
  it('when a cached read is asked again, or with HEAD, then it carries the headers of the first answer', async () => {
    const restaurant = await createRestaurant(service, owner);
    await createCategory(service, owner, restaurant.id, 'Soupes à l’oignon, 汤');
    const path = `${service.baseUrl}/api/restaurants/${restaurant.id}/menu`;
    // A conditional request that does not match is answered by Express's own `res.send`: the reference.
    const first = await http('GET', path, { headers: { 'if-none-match': '"not-this-one"' } });
    const again = await http('GET', path, { headers: { 'x-request-id': 'menu-read-1' } });
    const head = await fetch(path, { method: 'HEAD', headers: { 'x-request-id': 'menu-read-2' } });

    // Date, the request id and the connection headers (Node closes after a bodiless HEAD) vary per answer.
    const shared = (headers: Headers) => {
      const names = [...headers.keys()].filter(
        (name) => !['date', 'x-request-id', 'connection', 'keep-alive'].includes(name),
      );
      return Object.fromEntries(names.map((name) => [name, headers.get(name)]));
    };
    expect(first.headers.get('content-security-policy')).toBeTruthy();
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(first.headers.get('etag')).toMatch(/^W\/".+"$/);
    expect(again.status).toBe(200);
    // Text beyond ASCII: the length sent is in bytes, not characters.
    expect(again.body.categories[0].name).toBe('Soupes à l’oignon, 汤');
    expect(again.body).toEqual(first.body);
    expect(shared(again.headers)).toEqual(shared(first.headers));
    expect(again.headers.get('x-request-id')).toBe('menu-read-1');
    expect(head.status).toBe(200);
    expect(shared(head.headers)).toEqual(shared(first.headers));
    expect(head.headers.get('x-request-id')).toBe('menu-read-2');
    expect(await head.text()).toBe('');
  });
});

describe('Redis unavailable', () => {
  let degraded: TestRestaurantService;

  beforeAll(async () => {
    // Nothing listens on port 1: every cache command would fail.
    degraded = await startRestaurantService({ env: { REDIS_URL: 'redis://127.0.0.1:1/1' } });
  });
  afterAll(() => degraded.close());

  it('when Redis cannot be reached, then list, detail and menu are still served from the database', async () => {
    const place = await uniquePlace();
    const restaurant = await createRestaurant(service, owner, {}, place);
    const category = await createCategory(service, owner, restaurant.id, 'Noodles');
    const item = await createItem(service, owner, category.id);

    const detail = await http('GET', `${degraded.baseUrl}/api/restaurants/${restaurant.id}`);
    const menu = await http('GET', `${degraded.baseUrl}/api/restaurants/${restaurant.id}/menu`);
    const list = await http('GET', `${degraded.baseUrl}/api/restaurants?near=${place.lat},${place.lng}`);

    expect(detail.status).toBe(200);
    expect(detail.body.name).toBe(restaurant.name);
    expect(menu.status).toBe(200);
    expect(menu.body.categories[0].items).toEqual([item]);
    expect(list.status).toBe(200);
    expect(list.body.data.map((r: { id: string }) => r.id)).toEqual([restaurant.id]);
  });

  it('when Redis cannot be reached, then reads reflect the database at once (nothing stale is served)', async () => {
    const restaurant = await createRestaurant(service, owner);
    await http('GET', `${degraded.baseUrl}/api/restaurants/${restaurant.id}`);
    await service.db.query(`UPDATE restaurants SET name = 'Straight from the database' WHERE id = $1`, [restaurant.id]);
    const detail = await http('GET', `${degraded.baseUrl}/api/restaurants/${restaurant.id}`);
    expect(detail.body.name).toBe('Straight from the database');
  });

  it('when Redis goes away while the service runs, then reads still answer 200', async () => {
    const restaurant = await createRestaurant(service, owner);
    const cut = await startRestaurantService();
    try {
      expect((await http('GET', `${cut.baseUrl}/api/restaurants/${restaurant.id}`)).status).toBe(200);
      cut.redis.disconnect();
      const response = await http('GET', `${cut.baseUrl}/api/restaurants/${restaurant.id}/menu`);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ restaurantId: restaurant.id, categories: [] });
    } finally {
      await cut.close();
    }
  });

  it('when Redis is down, then readiness says so', async () => {
    const response = await http('GET', `${degraded.baseUrl}/health/ready`);
    expect(response.status).toBe(503);
    expect(response.body.checks.redis.status).toBe('down');
  });
});
