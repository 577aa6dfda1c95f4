import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker, createLogger, createRedis, Database, infrastructureChecks, type Redis } from '@foodflow/platform';
import { testEnv } from '../../../tests/setup/test-env.js';

const logger = createLogger({ service: 'platform-test', silent: true });
const platform = fileURLToPath(new URL('../src/index.ts', import.meta.url));

/** Boots a service runtime in a child process, as a service's main.ts would. */
function bootInChild(env: Record<string, string>): { status: number | null; stderr: string } {
  const script = `
    import { loadServiceConfig, ServiceRuntime } from ${JSON.stringify(platform)};
    ServiceRuntime.boot(() => loadServiceConfig({ service: 'example', port: 0, databaseRole: 'example_service' }));
    process.stdout.write('booted');
    process.exit(0);`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('service runtime', () => {
  it('when the environment is invalid, then the process stops with every problem listed', () => {
    const { status, stderr } = bootInChild({
      PORT: 'eighty',
      LOG_LEVEL: 'chatty',
      JWT_PUBLIC_KEY_FILE: '/nonexistent.pem',
    });
    expect(status).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('LOG_LEVEL');
    expect(stderr).not.toContain('    at '); // a list for an operator, not a stack trace
  });
});

describe('infrastructure readiness checks', () => {
  let db: Database;
  let redis: Redis;
  let broker: Broker;
  const env = testEnv('orders_service');

  beforeAll(async () => {
    db = new Database({ url: env.DATABASE_URL, logger, applicationName: 'platform-test' });
    redis = createRedis(env.REDIS_URL, logger);
    broker = new Broker({ url: env.AMQP_URL, logger, name: 'platform-test' });
    await broker.waitForConnection();
  });

  afterAll(async () => {
    await broker.close();
    redis.disconnect();
    await db.close();
  });

  it('when every dependency answers, then every check passes', async () => {
    const checks = infrastructureChecks({ db, redis, broker });
    expect(checks.map((c) => c.name)).toEqual(['postgres', 'redis', 'rabbitmq']);
    await Promise.all(checks.map((c) => c.check()));
  });

  it('when a dependency is unreachable, then its check fails', async () => {
    const deadDb = new Database({ url: 'postgres://x@127.0.0.1:1/x', logger, applicationName: 'platform-test' });
    const deadRedis = createRedis('redis://127.0.0.1:1/0', logger);
    try {
      const [postgres, redisCheck] = infrastructureChecks({ db: deadDb, redis: deadRedis });
      await expect(postgres!.check()).rejects.toBeDefined();
      await expect(redisCheck!.check()).rejects.toBeDefined();
    } finally {
      deadRedis.disconnect();
      await deadDb.close();
    }
  });
});
