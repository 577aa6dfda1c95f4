import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import pg from 'pg';
import { bootstrapDatabase } from '../../db/bootstrap.js';
import {
  ADMIN_DATABASE_URL,
  SYSTEM_TEST_DATABASE,
  SYSTEM_TEST_REDIS_URL,
  SYSTEM_TEST_VHOST,
  TEST_DATABASE,
  TEST_REDIS_URL,
  TEST_VHOST,
} from './test-env.js';

export const rabbitmqctl = (...args: string[]): string =>
  execFileSync('rabbitmqctl', ['-q', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** An empty RabbitMQ virtual host for the tests (needs `rabbitmqctl`, i.e. a local broker). */
export function freshVhost(vhost: string): void {
  try {
    if (
      rabbitmqctl('list_vhosts')
        .split('\n')
        .some((line) => line.trim() === vhost)
    ) {
      rabbitmqctl('delete_vhost', vhost);
    }
    rabbitmqctl('add_vhost', vhost);
    rabbitmqctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
  } catch (err) {
    throw new Error(
      `Could not prepare the RabbitMQ vhost "${vhost}" with rabbitmqctl (is RabbitMQ running locally?): ${String(err)}`,
    );
  }
}

/** Drops a test database, whoever is still connected to it, so the run starts from migrations alone. */
export async function dropDatabase(database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function flushRedis(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/**
 * Runs once before all test files. Every run starts from nothing: freshly migrated test databases, empty
 * Redis databases and empty broker vhosts, so no earlier run's restaurants, drivers or queued events can
 * take part in this run's stories.
 */
export default async function setup(): Promise<void> {
  for (const database of [TEST_DATABASE, SYSTEM_TEST_DATABASE]) {
    await dropDatabase(database);
    await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database });
  }
  await flushRedis(TEST_REDIS_URL);
  await flushRedis(SYSTEM_TEST_REDIS_URL);
  freshVhost(TEST_VHOST);
  freshVhost(SYSTEM_TEST_VHOST);
}
