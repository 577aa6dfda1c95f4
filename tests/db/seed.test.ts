import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateValue } from '@foodflow/platform';
import { bootstrapDatabase } from '../../db/bootstrap.js';
import { DEMO_ACCOUNTS } from '../../db/seeds/demo-accounts.js';
import { runSeeds } from '../../scripts/seed.js';
import { createCategorySchema, createItemSchema } from '../../services/restaurant/src/menus/menu.schemas.js';
import {
  createRestaurantSchema,
  DEFAULT_RADIUS_KM,
} from '../../services/restaurant/src/restaurants/restaurant.schemas.js';
import { dataKeyLine } from '../../services/user/test/support.js';
import { dropDatabase } from '../setup/global-setup.js';
import { ADMIN_DATABASE_URL, TEST_DATABASE } from '../setup/test-env.js';

/** A database of this test's own, never the development one: seeded as `npm start` seeds it. */
const DATABASE = `${TEST_DATABASE}_seed`;
/** New York City Hall, the centre the demo is built around (the demo customer lives a short walk away). */
const CITY_HALL = { lat: 40.7128, lng: -74.006 };

let db: pg.Client;
const seed = () => runSeeds({ ...process.env, ADMIN_DATABASE_URL, DATABASE_NAME: DATABASE });

/**
 * The seeded rows, each with `input`: the request body that would have created it through the API
 * (absent fields left out rather than null, as a client would send them).
 */
const restaurants = async () =>
  (
    await db.query<{ id: string; ownerId: string; name: string; cuisine: string; distanceKm: number; input: object }>(
      `SELECT id, owner_id AS "ownerId", name, cuisine,
              earth_distance(ll_to_earth($1, $2), earth_location) / 1000 AS "distanceKm",
              jsonb_strip_nulls(jsonb_build_object(
                'name', name, 'description', description, 'cuisine', cuisine, 'phone', phone,
                'address', jsonb_build_object('street', street, 'city', city, 'postalCode', postal_code,
                                              'location', jsonb_build_object('lat', lat, 'lng', lng)),
                'timeZone', time_zone, 'openingHours', opening_hours, 'deliveryFeeCents', delivery_fee_cents,
                'minOrderCents', min_order_cents, 'prepTimeMinutes', prep_time_minutes)) AS input
       FROM restaurants.restaurants ORDER BY name`,
      [CITY_HALL.lat, CITY_HALL.lng],
    )
  ).rows;

const categories = async () =>
  (
    await db.query<{ id: string; restaurantId: string; name: string; input: object }>(
      `SELECT id, restaurant_id AS "restaurantId", name,
              jsonb_build_object('restaurantId', restaurant_id, 'name', name, 'position', position) AS input
       FROM restaurants.menu_categories WHERE deleted_at IS NULL`,
    )
  ).rows;

const items = async () =>
  (
    await db.query<{ restaurantId: string; categoryId: string; name: string; input: object }>(
      `SELECT restaurant_id AS "restaurantId", category_id AS "categoryId", name,
              jsonb_strip_nulls(jsonb_build_object(
                'categoryId', category_id, 'name', name, 'description', description, 'priceCents', price_cents,
                'isAvailable', is_available, 'imageUrl', image_url)) AS input
       FROM restaurants.menu_items WHERE deleted_at IS NULL`,
    )
  ).rows;

/** Every row the seeds own, as stored (timestamps included). */
const everything = async () => {
  const rows = async (table: string) => (await db.query(`SELECT to_jsonb(t) AS row FROM ${table} t ORDER BY id`)).rows;
  return {
    restaurants: await rows('restaurants.restaurants'),
    categories: await rows('restaurants.menu_categories'),
    items: await rows('restaurants.menu_items'),
    users: await rows('users.users'),
    addresses: await rows('users.addresses'),
  };
};

beforeAll(async () => {
  // The user seed encrypts the demo address with the keys the user service would read.
  vi.stubEnv('DATA_ENCRYPTION_KEYS', dataKeyLine('k1'));
  await dropDatabase(DATABASE);
  await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: DATABASE });
  await seed();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${DATABASE}`;
  db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await dropDatabase(DATABASE);
  vi.unstubAllEnvs();
});

describe('demo seed', () => {
  it('when seeded, then at least 12 restaurants of many cuisines stand around one city centre', async () => {
    const seeded = await restaurants();
    expect(seeded.length).toBeGreaterThanOrEqual(12);
    expect(new Set(seeded.map((r) => r.cuisine)).size).toBeGreaterThanOrEqual(8);
    for (const r of seeded) {
      expect(r.distanceKm, `${r.name} is within a default search of the centre`).toBeLessThanOrEqual(DEFAULT_RADIUS_KM);
    }
  });

  it('when seeded, then every restaurant is one the API itself would accept', async () => {
    for (const r of await restaurants()) {
      expect(() => validateValue(createRestaurantSchema, r.input), r.name).not.toThrow();
    }
  });

  it('when seeded, then each restaurant has 2 to 4 categories and at least 8 dishes, all the API would accept', async () => {
    const [allCategories, allItems] = [await categories(), await items()];
    for (const r of await restaurants()) {
      const own = allCategories.filter((c) => c.restaurantId === r.id);
      const dishes = allItems.filter((i) => i.restaurantId === r.id);
      expect(own.length, r.name).toBeGreaterThanOrEqual(2);
      expect(own.length, r.name).toBeLessThanOrEqual(4);
      expect(dishes.length, r.name).toBeGreaterThanOrEqual(8);
      for (const c of own) {
        expect(() => validateValue(createCategorySchema, c.input), `${r.name}: ${c.name}`).not.toThrow();
        expect(
          dishes.filter((d) => d.categoryId === c.id),
          `${r.name}: ${c.name} holds dishes`,
        ).not.toHaveLength(0);
      }
      for (const d of dishes) {
        expect(() => validateValue(createItemSchema, d.input), `${r.name}: ${d.name}`).not.toThrow();
      }
    }
  });

  it('when seeded, then the demo owner and a few other seeded owners own the restaurants', async () => {
    const owners = new Set((await restaurants()).map((r) => r.ownerId));
    expect(owners.has(DEMO_ACCOUNTS.owner.id)).toBe(true);
    expect(owners.size).toBeGreaterThanOrEqual(3);
    const { rows } = await db.query<{ id: string; role: string }>(
      'SELECT id, role FROM users.users WHERE id = ANY($1)',
      [[...owners]],
    );
    expect(rows.map((u) => u.role).sort()).toEqual([...owners].map(() => 'restaurant_owner'));
  });

  it('when seeded again, then nothing changes', async () => {
    const before = await everything();
    await seed();
    expect(await everything()).toEqual(before);
  });

  it('when owners changed their restaurants and menus, then seeding again keeps the changes', async () => {
    const [restaurant] = await restaurants();
    await db.query(
      `UPDATE restaurants.restaurants SET name = 'Renamed by its owner', is_accepting_orders = false
                     WHERE id = $1`,
      [restaurant?.id],
    );
    await db.query(
      `UPDATE restaurants.menu_items SET price_cents = 1, is_available = false, deleted_at = now()
                     WHERE restaurant_id = $1`,
      [restaurant?.id],
    );
    await db.query(`UPDATE restaurants.menu_categories SET deleted_at = now() WHERE restaurant_id = $1`, [
      restaurant?.id,
    ]);
    const edited = await everything();
    await seed();
    expect(await everything()).toEqual(edited);
  });
});
