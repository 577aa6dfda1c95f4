import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker, createLogger, createRedis, Database, infrastructureChecks, type Redis } from '@foodflow/platform';
import { generateTestKeys } from '@foodflow/platform/testing';
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
    expect(stderr).toContain('"JWT_PUBLIC_KEY_FILE" points to /nonexistent.pem');
    expect(stderr).not.toContain('    at '); // a list for an operator, not a stack trace
  });
});

/**
 * A service as every main.ts builds it (runtime, PostgreSQL pool, Redis client, HTTP server), with one
 * route that stays in flight until the test writes `finish` on the process's stdin.
 */
const serviceScript = `
  import { createServer } from 'node:http';
  import { createInterface } from 'node:readline';
  import { createHttpApp, loadServiceConfig, ServiceRuntime } from ${JSON.stringify(platform)};
  const runtime = ServiceRuntime.boot(() =>
    loadServiceConfig({ service: 'example', port: 0, databaseRole: 'orders_service' }));
  let finish;
  const finished = new Promise((resolve) => { finish = resolve; });
  createInterface({ input: process.stdin }).on('line', (line) => { if (line === 'finish') finish(); });
  await runtime.run(async () => {
    const db = runtime.database();
    const redis = runtime.redis();
    const app = createHttpApp({
      logger: runtime.logger,
      metrics: runtime.metrics,
      health: [],
      routes: (router) => {
        router.get('/api/slow', async (_req, res) => {
          process.stdout.write('in flight\\n');
          await finished;
          const { rows } = await db.query('SELECT 1 AS one');
          res.json({ one: rows[0].one, pong: await redis.ping() });
        });
      },
    });
    await runtime.serve(createServer(app));
  });`;

describe('graceful shutdown of a service process', () => {
  it('when SIGTERM arrives during a request, then it stops accepting, the request completes and the process exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', serviceScript], {
      env: {
        PATH: process.env['PATH'] ?? '',
        ...testEnv('orders_service', { LOG_LEVEL: 'info', HOST: '127.0.0.1', SHUTDOWN_TIMEOUT_MS: '60000' }),
        JWT_PUBLIC_KEY: generateTestKeys().publicKey,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];
    const nextLine = (match: (line: string) => boolean): Promise<string> =>
      new Promise((resolve) => {
        const seen = output.find(match);
        if (seen) resolve(seen);
        else waiters.push({ match, resolve });
      });
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      for (const waiter of waiters.filter((w) => w.match(line))) waiter.resolve(line);
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const listening = await Promise.race([
        nextLine((line) => line.includes('listening on')),
        exited.then(() => {
          throw new Error(`the service did not start:\n${stderr}`);
        }),
      ]);
      const port = /listening on [^:]+:(\d+)/.exec(listening)?.[1];
      const base = `http://127.0.0.1:${port}`;

      const inFlight = fetch(`${base}/api/slow`);
      await nextLine((line) => line === 'in flight');
      child.kill('SIGTERM');
      await nextLine((line) => line.includes('Received SIGTERM'));
      await expect(fetch(`${base}/api/slow`)).rejects.toThrow();

      child.stdin.write('finish\n');
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ one: 1, pong: 'PONG' });
      expect(await exited).toBe(0);
      const errors = output.filter((line) => line.includes('"log.level":"error"'));
      expect(errors).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
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
