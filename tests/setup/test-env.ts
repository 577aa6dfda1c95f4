/**
 * Where the test suite's own infrastructure lives: a separate database, Redis logical database and
 * RabbitMQ virtual host, so tests never touch development data or the running development stack.
 */
export const TEST_DATABASE = process.env['TEST_DATABASE_NAME'] ?? 'foodflow_test';
export const TEST_VHOST = process.env['TEST_AMQP_VHOST'] ?? 'foodflow_test';
/**
 * The whole-stack tests get a database, a broker vhost and a Redis database of their own: no other
 * test's leftovers (a waiting delivery, a driver online) can take part in their stories.
 */
export const SYSTEM_TEST_DATABASE = process.env['SYSTEM_TEST_DATABASE_NAME'] ?? 'foodflow_system_test';
export const SYSTEM_TEST_VHOST = process.env['SYSTEM_TEST_AMQP_VHOST'] ?? 'foodflow_system_test';
export const SYSTEM_TEST_REDIS_URL = process.env['SYSTEM_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/4';
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379/1';
export const ADMIN_DATABASE_URL = process.env['ADMIN_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const pgHost = new URL(ADMIN_DATABASE_URL).host;

export const amqpUrl = (vhost: string): string =>
  `${process.env['TEST_AMQP_BASE_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672'}/${encodeURIComponent(vhost)}`;

/** The environment a service under test reads, as `loadServiceConfig` expects it. */
export interface TestEnv extends Record<string, string> {
  NODE_ENV: string;
  LOG_LEVEL: string;
  DATABASE_URL: string;
  REDIS_URL: string;
  AMQP_URL: string;
}

export function testEnv(role: string, extra: Record<string, string> = {}, database = TEST_DATABASE): TestEnv {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    DATABASE_URL: `postgres://${role}:${role}@${pgHost}/${database}`,
    REDIS_URL: TEST_REDIS_URL,
    AMQP_URL: amqpUrl(TEST_VHOST),
    ...extra,
  };
}
