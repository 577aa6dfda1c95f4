import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bootstrapDatabase } from '../../db/bootstrap.js';
import { runSeeds } from '../../scripts/seed.js';
import { consistencyProblems } from '../../scripts/lib/backup-check.js';
import { type BackupSettings, databaseUrl, readManifest, restoreBackup } from '../../scripts/lib/backup.js';
import {
  newCustomer,
  PeerServices,
  placeOrder,
  startOrderService,
  tokenFor,
} from '../../services/order/test/support.js';
import { dataKeyLine } from '../../services/user/test/support.js';
import { http } from '@foodflow/platform/testing';
import { repoPath } from '../ops/lib/repo.js';
import { dropDatabase } from '../setup/global-setup.js';
import { ADMIN_DATABASE_URL, TEST_DATABASE, TEST_REDIS_URL, testEnv } from '../setup/test-env.js';

/**
 * The disaster-recovery drill, for real: a database of this test's own is seeded and takes orders through
 * the real user, restaurant and order services; `npm run backup` saves it and the Redis database; the
 * database is dropped and Redis emptied; `npm run restore` brings both back. The restored rows and keys
 * must equal what was there, and the consistency check must pass, and fail on a damaged restore.
 */
const DATABASE = `${TEST_DATABASE}_drill`;
const settings: BackupSettings = { adminUrl: ADMIN_DATABASE_URL, database: DATABASE, redisUrl: TEST_REDIS_URL };
const backups = mkdtempSync(join(tmpdir(), 'foodflow-backups-'));
const redis = new Redis(TEST_REDIS_URL);

const drillEnv = (role: string): Record<string, string> => ({
  DATABASE_URL: testEnv(role, {}, DATABASE).DATABASE_URL,
  REDIS_URL: TEST_REDIS_URL,
});

/** Runs one of the npm scripts' files as `npm run` does, with the bootstrap's settings for this database. */
function npmScript(file: string, args: string[] = []) {
  const result = spawnSync(
    process.execPath,
    ['--import', pathToFileURL(repoPath('node_modules/tsx/dist/loader.mjs')).href, repoPath(file), ...args],
    {
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env['PATH'],
        ADMIN_DATABASE_URL,
        DATABASE_NAME: DATABASE,
        REDIS_URL: TEST_REDIS_URL,
        BACKUP_DIR: backups,
        BACKUP_KEEP: '2',
      },
    },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

async function withDatabase<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(ADMIN_DATABASE_URL, DATABASE) });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Every row of every service table, as stored, in a stable order. */
const everyRow = () =>
  withDatabase(async (client) => {
    const { rows: tables } = await client.query<{ name: string }>(
      `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
       WHERE table_schema IN ('users', 'restaurants', 'orders', 'deliveries') AND table_type = 'BASE TABLE'
       ORDER BY 1`,
    );
    const content: Record<string, unknown[]> = {};
    for (const { name } of tables) {
      const { rows } = await client.query<{ row: unknown }>(
        `SELECT to_jsonb(t) AS row FROM ${name} t ORDER BY to_jsonb(t)::text`,
      );
      content[name] = rows.map((r) => r.row);
    }
    return content;
  });

/**
 * A key's value as its commands read it. Not DUMP's bytes: a hash stored as a hash table serializes in its
 * table's order, which a restore that inserts the same fields may change.
 */
async function valueOf(key: string): Promise<unknown> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return { type, value: await redis.get(key) };
    case 'hash':
      return { type, value: Object.entries(await redis.hgetall(key)).sort(([a], [b]) => a.localeCompare(b)) };
    case 'set':
      return { type, value: (await redis.smembers(key)).sort() };
    case 'zset':
      return { type, value: await redis.zrange(key, 0, -1, 'WITHSCORES') };
    case 'list':
      return { type, value: await redis.lrange(key, 0, -1) };
    case 'stream':
      return { type, value: await redis.xrange(key, '-', '+') };
    default:
      throw new Error(`The drill does not compare Redis values of type ${type} (${key})`);
  }
}

/** Every Redis key with its value and whether it expires. */
async function everyKey(): Promise<Record<string, { value: unknown; expires: boolean }>> {
  const keys = (await redis.keys('*')).sort();
  const entries = await Promise.all(
    keys.map(async (key) => [key, { value: await valueOf(key), expires: (await redis.pttl(key)) > 0 }] as const),
  );
  return Object.fromEntries(entries);
}

let rowsBefore: Record<string, unknown[]>;
let keysBefore: Record<string, { value: unknown; expires: boolean }>;
let orderIds: string[];
let cartOwner: string;
let backupPath: string;

beforeAll(async () => {
  vi.stubEnv('DATA_ENCRYPTION_KEYS', dataKeyLine('k1'));
  await dropDatabase(DATABASE);
  await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: DATABASE });
  await runSeeds({ ...process.env, ADMIN_DATABASE_URL, DATABASE_NAME: DATABASE }, () => undefined);

  const peers = new PeerServices();
  await peers.start({ env: drillEnv });
  const orders = await startOrderService({ peers, env: drillEnv('orders_service') });
  try {
    const restaurant = await peers.addRestaurant();
    const customers = await Promise.all([newCustomer(peers), newCustomer(peers)]);
    orderIds = [
      (await placeOrder(orders.baseUrl, customers[0]!, restaurant)).id,
      (await placeOrder(orders.baseUrl, customers[1]!, restaurant, { method: 'cash' })).id,
      (await placeOrder(orders.baseUrl, customers[0]!, restaurant)).id,
    ];
    const cancelled = await http('PUT', `${orders.baseUrl}/api/orders/${orderIds[2]}/status`, {
      token: tokenFor('admin'),
      body: { status: 'cancelled' },
    });
    expect(cancelled.status).toBe(200);
    // A cart left full, which lives in Redis only.
    cartOwner = customers[1]!.id;
    const added = await http('POST', `${orders.baseUrl}/api/cart/items`, {
      token: customers[1]!.token,
      body: { menuItemId: restaurant.items[2].id, quantity: 2 },
    });
    expect(added.status).toBe(200);
  } finally {
    // Nothing writes while the state is captured, so what is compared is exactly what was backed up.
    await orders.close();
    await peers.stop();
  }
  rowsBefore = await everyRow();
  keysBefore = await everyKey();

  const backup = npmScript('scripts/backup.ts');
  expect(backup.status, backup.output).toBe(0);
  backupPath = join(backups, readdirSync(backups).sort().at(-1)!);

  await dropDatabase(DATABASE);
  await redis.flushdb();
}, 120_000);

afterAll(async () => {
  await dropDatabase(DATABASE);
  redis.disconnect();
  rmSync(backups, { recursive: true, force: true });
});

describe('restore drill', () => {
  it('when the backup was taken, then it holds every schema, the Redis keys and the row counts of one snapshot', () => {
    const manifest = readManifest(backupPath);
    expect(readdirSync(backupPath).sort()).toEqual(
      ['deliveries.dump', 'manifest.json', 'orders.dump', 'redis.jsonl', 'restaurants.dump', 'users.dump'].sort(),
    );
    expect(manifest.database).toBe(DATABASE);
    expect(manifest.rowCounts['orders.orders']).toBe(3);
    expect(manifest.rowCounts['orders.payments']).toBe(3);
    expect(manifest.rowCounts['restaurants.restaurants']).toBeGreaterThan(13);
    expect(keysBefore).toHaveProperty([`order:cart:${cartOwner}`]);
    expect(manifest.redisKeys).toBe(Object.keys(keysBefore).length);
    expect(Object.fromEntries(Object.entries(rowsBefore).map(([t, rows]) => [t, rows.length]))).toEqual(
      manifest.rowCounts,
    );
  });

  it('when the dropped database is restored, then every row and every key is back, and the check passes', () => {
    const restore = npmScript('scripts/restore.ts', [backupPath]);
    expect(restore.status, restore.output).toBe(0);
    expect(restore.output).toMatch(/tables match the backup, consistent/);
    return Promise.all([
      expect(everyRow()).resolves.toEqual(rowsBefore),
      expect(everyKey()).resolves.toEqual(keysBefore),
    ]);
  });

  it('when the services connect to the restored database, then their roles may use their own tables again', async () => {
    const client = new pg.Client({ connectionString: drillEnv('orders_service')['DATABASE_URL'] });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string; method: string }>(
        'SELECT o.id, p.method FROM orders o JOIN payments p ON p.order_id = o.id ORDER BY o.created_at',
      );
      expect(rows.map((r) => r.id)).toEqual(orderIds);
      expect(rows.map((r) => r.method)).toEqual(['card', 'cash', 'card']);
    } finally {
      await client.end();
    }
  });

  it('when the database already exists, then a restore refuses to mix the backup into it', async () => {
    await expect(restoreBackup(settings, backupPath, () => undefined)).rejects.toThrow(/exists/);
  });

  it('when a restore is damaged, then the consistency check names every fault', async () => {
    const manifest = readManifest(backupPath);
    const ghost = randomUUID();
    const problems = await withDatabase(async (client) => {
      await client.query('DELETE FROM orders.payments WHERE order_id = $1', [orderIds[0]]);
      await client.query(`SELECT setval(pg_get_serial_sequence('orders.outbox', 'seq'), 1, false)`);
      await client.query(
        `INSERT INTO orders.outbox (id, type, payload) VALUES ($1, 'order.created', jsonb_build_object('orderId', $2::text))`,
        [randomUUID(), ghost],
      );
      await client.query(
        `INSERT INTO deliveries.orders (id, customer_id, restaurant_id, restaurant_owner_id, status, status_rank)
         VALUES ($1, $2, $2, $2, 'pending', 0)`,
        [ghost, randomUUID()],
      );
      return consistencyProblems(client, manifest);
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        `order ${orderIds[0]} has no payment`,
        expect.stringMatching(/^orders\.payments: 2 row\(s\) restored, 3 backed up$/),
        expect.stringMatching(/^orders\.outbox: \d+ row\(s\) restored, \d+ backed up$/),
        expect.stringMatching(/outbox_seq_seq would hand out \d+ again/),
        expect.stringMatching(new RegExp(`announces an order that is not there`)),
        `the delivery service holds order ${ghost}, which the order service does not`,
      ]),
    );
  });
});
