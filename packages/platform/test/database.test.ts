import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, Database } from '@foodflow/platform';
import { testEnv } from '../../../tests/setup/test-env.js';

const logger = createLogger({ service: 'platform-test', silent: true });
const metrics = createMetrics('platform-test');
let db: Database;

beforeAll(() => {
  db = new Database({
    url: testEnv('orders_service').DATABASE_URL!,
    logger,
    metrics,
    applicationName: 'platform-test',
  });
});

afterAll(async () => {
  await db.close();
});

describe('database access', () => {
  it('when a transaction throws, then none of its writes remain', async () => {
    const id = randomUUID();
    await expect(
      db.transaction(async (client) => {
        await client.query(`INSERT INTO inbox (event_id, type) VALUES ($1, 'test.rollback')`, [id]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const { rowCount } = await db.query('SELECT 1 FROM inbox WHERE event_id = $1', [id]);
    expect(rowCount).toBe(0);
  });

  it('when a transaction resolves, then its writes are committed', async () => {
    const id = randomUUID();
    await db.transaction((client) =>
      client.query(`INSERT INTO inbox (event_id, type) VALUES ($1, 'test.commit')`, [id]),
    );
    expect((await db.read('SELECT 1 FROM inbox WHERE event_id = $1', [id])).rowCount).toBe(1);
    await db.query('DELETE FROM inbox WHERE event_id = $1', [id]);
  });

  it("when a service role reaches for another service's schema, then PostgreSQL refuses", async () => {
    await expect(db.query('SELECT * FROM users.users LIMIT 1')).rejects.toMatchObject({ code: '42501' });
    await expect(db.query('SELECT * FROM restaurants.pgmigrations LIMIT 1')).rejects.toMatchObject({ code: '42501' });
  });

  it('when the database cannot be reached, then the error is 503 DEPENDENCY_UNAVAILABLE', async () => {
    const down = new Database({ url: 'postgres://nobody@127.0.0.1:1/none', logger, applicationName: 'platform-test' });
    try {
      await expect(down.query('SELECT 1')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', status: 503 });
      await expect(down.transaction(async () => 1)).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    } finally {
      await down.close();
    }
  });

  it('when a query has finished, then its connection is counted idle and the pool gauges are exported', async () => {
    await db.query('SELECT 1');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/db_pool_connections_total\{pool="primary",service="platform-test"\} [1-9]/);
    expect(text).toMatch(/db_pool_connections_idle\{pool="primary",service="platform-test"\} [1-9]/);
    expect(text).toContain('db_pool_connections_max{pool="primary",service="platform-test"} 10');
  });

  it('when every connection is taken, then a query waiting for one is counted until it gets it', async () => {
    const small = createMetrics('platform-test-small');
    const tiny = new Database({
      url: testEnv('orders_service').DATABASE_URL,
      max: 1,
      logger,
      metrics: small,
      applicationName: 'platform-test',
    });
    const waiting = async (): Promise<string | undefined> =>
      /db_pool_requests_waiting\{pool="primary",service="platform-test-small"\} (\d+)/.exec(
        await small.registry.metrics(),
      )?.[1];
    try {
      const held = await tiny.pool.connect();
      const queued = tiny.query<{ one: number }>('SELECT 1 AS one');
      expect(await waiting()).toBe('1');
      held.release();
      expect((await queued).rows).toEqual([{ one: 1 }]);
      expect(await waiting()).toBe('0');
    } finally {
      await tiny.close();
    }
  });
});

describe('read replica', () => {
  /** The replica is the same server reached as another role, so which connection ran a statement shows. */
  const primaryUrl = testEnv('orders_service').DATABASE_URL;
  const replicaUrl = testEnv('restaurants_service').DATABASE_URL;
  const whoRan = async (result: Promise<{ rows: { role: string }[] }>): Promise<string | undefined> =>
    (await result).rows[0]?.role;

  it('when DATABASE_READ_URL is set, then read-only queries go to it and writes and transactions stay on the primary', async () => {
    const replicaMetrics = createMetrics('platform-test-replica');
    const routed = new Database({
      url: primaryUrl,
      readUrl: replicaUrl,
      logger,
      metrics: replicaMetrics,
      applicationName: 'platform-test',
    });
    try {
      expect(await whoRan(routed.read('SELECT current_user AS role'))).toBe('restaurants_service');
      expect(await whoRan(routed.query('SELECT current_user AS role'))).toBe('orders_service');
      expect(await routed.transaction((client) => whoRan(client.query('SELECT current_user AS role')))).toBe(
        'orders_service',
      );
      const text = await replicaMetrics.registry.metrics();
      expect(text).toMatch(/db_pool_connections_total\{pool="replica",service="platform-test-replica"\} [1-9]/);
    } finally {
      await routed.close();
    }
  });

  it('when no replica is set, then read-only queries use the primary', async () => {
    expect(await whoRan(db.read('SELECT current_user AS role'))).toBe('orders_service');
  });
});
