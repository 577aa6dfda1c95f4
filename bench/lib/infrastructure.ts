import { execFileSync } from 'node:child_process';
import { bootstrapDatabase } from '../../db/bootstrap.js';

/**
 * The benchmark's own database, Redis logical database and RabbitMQ virtual host, so a run never touches
 * development or test data and never consumes the development stack's events.
 */
export const BENCH_DATABASE = process.env['BENCH_DATABASE_NAME'] ?? 'foodflow_bench';
export const BENCH_VHOST = process.env['BENCH_AMQP_VHOST'] ?? 'foodflow_bench';
export const ADMIN_DATABASE_URL = process.env['ADMIN_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_REDIS_URL = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379/2';
const AMQP_BASE_URL = process.env['BENCH_AMQP_BASE_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A connection URL to the bench database as one of the service roles (development passwords). */
export function benchDatabaseUrl(role: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.username = role;
  url.password = role;
  url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
}

export const benchAmqpUrl = (): string => `${AMQP_BASE_URL}/${encodeURIComponent(BENCH_VHOST)}`;

let prepared: Promise<void> | undefined;

/** Bootstraps the bench database (roles, schemas, migrations) and the vhost, once per run. */
export function prepareInfrastructure(): Promise<void> {
  prepared ??= (async () => {
    await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: BENCH_DATABASE });
    const vhosts = execFileSync('rabbitmqctl', ['-q', 'list_vhosts'], { encoding: 'utf8' });
    if (!vhosts.split('\n').some((line) => line.trim() === BENCH_VHOST)) {
      execFileSync('rabbitmqctl', ['-q', 'add_vhost', BENCH_VHOST], { stdio: 'ignore' });
    }
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', BENCH_VHOST, 'guest', '.*', '.*', '.*'], {
      stdio: 'ignore',
    });
  })();
  return prepared;
}
