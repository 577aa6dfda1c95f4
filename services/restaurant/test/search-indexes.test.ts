import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, Database, type QueryResultRow, type Statement, validateValue } from '@foodflow/platform';
import { OWNER_ROLE } from '../../../db/bootstrap.js';
import { testEnv } from '../../../tests/setup/test-env.js';
import { RestaurantRepository } from '../src/restaurants/restaurant.repository.js';
import { DEFAULT_RADIUS_KM, listQuerySchema } from '../src/restaurants/restaurant.schemas.js';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

type Explained = { 'QUERY PLAN': [{ Plan: PlanNode }] };

/**
 * The service's database as its own role, except that a read is explained instead of run: the repository
 * builds its search exactly as for a request, and the test sees the plan PostgreSQL would follow.
 */
class ExplainingDatabase extends Database {
  plans: PlanNode[] = [];

  override async read<R extends QueryResultRow>(statement: Statement, values?: unknown[]): Promise<pg.QueryResult<R>> {
    const sql = typeof statement === 'string' ? statement : statement.text;
    const explained = await super.read<Explained>(`EXPLAIN (FORMAT JSON) ${sql}`, values);
    this.plans.push((explained.rows[0] as Explained)['QUERY PLAN'][0].Plan);
    return { ...explained, rows: [] as R[], rowCount: 0 };
  }
}

/** How the plan reads the restaurants table: the indexes it scans, or "Seq Scan" for a read of every row. */
function restaurantReads(node: PlanNode): string[] {
  const own = node['Index Name']
    ? [node['Index Name']]
    : node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'restaurants'
      ? ['Seq Scan']
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(restaurantReads)];
}

const ROWS = 5000;
/** A word only one restaurant in 250 has, as a customer would search for a dish. */
const RARE_WORD = 'okonomiyaki';
/** A cuisine only one restaurant in 250 serves; the others share twenty common ones. */
const RARE_CUISINE = 'tibetan';
const tag = `index-check-${randomUUID().slice(0, 8)}`;
let db: ExplainingDatabase;
let repository: RestaurantRepository;
/** Where one of the restaurants with the rare word and cuisine stands. */
let spot: { lat: number; lng: number };

/** The plan of the search the service would run for this query string's parameters. */
async function readsFor(params: Record<string, string>): Promise<string[]> {
  db.plans = [];
  const query = validateValue(listQuerySchema, params);
  await repository.search({ ...query, radiusKm: query.radiusKm ?? DEFAULT_RADIUS_KM }, new Date());
  expect(db.plans).toHaveLength(1);
  return restaurantReads(db.plans[0] as PlanNode);
}

beforeAll(async () => {
  const logger = createLogger({ service: 'restaurant-service', level: 'error', silent: true });
  db = new ExplainingDatabase({
    url: testEnv('restaurants_service').DATABASE_URL,
    logger,
    applicationName: 'restaurant-index-test',
  });
  // Spread far south, off the grid other tests' places come from: few enough matches per filter that an
  // index is the cheap way to them.
  const { rows } = await db.query<{ lat: number; lng: number; rare: boolean }>(
    `INSERT INTO restaurants (owner_id, name, description, cuisine, street, city, postal_code, lat, lng, time_zone,
                              delivery_fee_cents, min_order_cents, prep_time_minutes)
     SELECT gen_random_uuid(), 'Kitchen ' || i,
            CASE WHEN i % 250 = 0 THEN 'Osaka ${RARE_WORD} ' ELSE 'Family recipes ' END || $1,
            CASE WHEN i % 250 = 0 THEN $3 ELSE 'cuisine-' || chr(97 + i % 20) END,
            '1 Test Street', 'Testville', '00000', -60 - (i % 25), -180 + i * 359.0 / $2, 'UTC', 0, 0, 10
     FROM generate_series(1, $2) AS i
     RETURNING lat, lng, cuisine = $3 AS rare`,
    [tag, ROWS, RARE_CUISINE],
  );
  const rare = rows.find((row) => row.rare) as { lat: number; lng: number };
  spot = { lat: rare.lat, lng: rare.lng };
  const owner = new pg.Client({ connectionString: testEnv(OWNER_ROLE).DATABASE_URL });
  await owner.connect();
  try {
    await owner.query('ANALYZE restaurants.restaurants');
  } finally {
    await owner.end();
  }
  repository = new RestaurantRepository(db);
});

afterAll(async () => {
  await db.query('DELETE FROM restaurants WHERE description LIKE $1', [`%${tag}`]);
  await db.close();
});

/** Indexes holding the search text's trigrams, and indexes led by the location: either kind can serve its filter. */
const SEARCH_TEXT_INDEXES = ['restaurants_search_text_trgm_idx', 'restaurants_location_search_text_idx'];
const LOCATION_INDEXES = ['restaurants_earth_location_idx', 'restaurants_location_search_text_idx'];

describe('restaurant search plans, over thousands of restaurants', () => {
  it('when q and near are given, then one scan of the location and search text index finds the matches', async () => {
    const reads = await readsFor({ q: RARE_WORD, near: `${spot.lat},${spot.lng}` });
    expect(reads).toEqual(['restaurants_location_search_text_idx']);
  });

  it('when q alone is given, then an index of the search text finds the matches', async () => {
    const reads = await readsFor({ q: RARE_WORD });
    expect(reads).toHaveLength(1);
    expect(SEARCH_TEXT_INDEXES).toContain(reads[0]);
  });

  it('when a cuisine few restaurants serve is given, then the cuisine index finds them', async () => {
    const reads = await readsFor({ cuisine: RARE_CUISINE });
    expect(reads).toEqual(['restaurants_cuisine_idx']);
  });

  it('when near is given, then an index of the location finds the restaurants around the point', async () => {
    const reads = await readsFor({ near: `${spot.lat},${spot.lng}` });
    expect(reads).toHaveLength(1);
    expect(LOCATION_INDEXES).toContain(reads[0]);
  });
});
