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

  it('then the pool gauges are exported', async () => {
    await db.query('SELECT 1');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/db_pool_connections_total\{pool="primary",service="platform-test"\} [1-9]/);
    expect(text).toContain('db_pool_connections_max{pool="primary",service="platform-test"} 10');
    expect(text).toContain('db_pool_requests_waiting');
  });
});
