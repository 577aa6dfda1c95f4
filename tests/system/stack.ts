import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { generateTestKeys } from '@foodflow/platform/testing';
import { nodeArgs, traceServiceName } from '../../scripts/lib/stack.js';
import { amqpUrl, SYSTEM_TEST_DATABASE, SYSTEM_TEST_REDIS_URL, SYSTEM_TEST_VHOST, testEnv } from '../setup/test-env.js';

/**
 * The whole platform as real processes: the four services and the gateway, each built and started with
 * its own `main.js`, exactly as in production but on free ports, against the
 * test database, a Redis database and a broker vhost of their own. Tests can kill and restart any
 * process to prove that nothing accepted is lost.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));

export type ProcessName = 'user' | 'restaurant' | 'order' | 'delivery' | 'gateway';

const definitions: Record<ProcessName, { dir: string; role: string }> = {
  user: { dir: 'services/user', role: 'users_service' },
  restaurant: { dir: 'services/restaurant', role: 'restaurants_service' },
  order: { dir: 'services/order', role: 'orders_service' },
  delivery: { dir: 'services/delivery', role: 'deliveries_service' },
  gateway: { dir: 'gateway', role: 'users_service' },
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface Stack {
  gatewayUrl: string;
  url: (name: ProcessName) => string;
  /** Ends a process (SIGKILL simulates a crash: no graceful shutdown). */
  kill: (name: ProcessName, signal?: NodeJS.Signals) => Promise<void>;
  /** Starts a process again with the same ports and environment, and waits until it is ready. */
  start: (name: ProcessName) => Promise<void>;
  /** Recent output of a process, for failure messages. */
  logs: (name: ProcessName) => string;
  stop: () => Promise<void>;
}

/** Builds every workspace (incrementally: quick when nothing changed) so the processes run current code. */
function build(): void {
  execFileSync(
    process.execPath,
    [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '-b'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}

export async function startStack(extraEnv: Partial<Record<ProcessName, Record<string, string>>> = {}): Promise<Stack> {
  build();
  const keys = generateTestKeys();
  const ports = {} as Record<ProcessName, number>;
  for (const name of Object.keys(definitions) as ProcessName[]) ports[name] = await freePort();
  const url = (name: ProcessName): string => `http://127.0.0.1:${ports[name]}`;

  const redis = new Redis(SYSTEM_TEST_REDIS_URL);
  await redis.flushdb();
  redis.disconnect();

  const shared = {
    JWT_PUBLIC_KEY: keys.publicKey,
    INTERNAL_API_SECRET: randomBytes(32).toString('hex'),
    REDIS_URL: SYSTEM_TEST_REDIS_URL,
    AMQP_URL: amqpUrl(SYSTEM_TEST_VHOST),
    USER_SERVICE_URL: url('user'),
    RESTAURANT_SERVICE_URL: url('restaurant'),
    ORDER_SERVICE_URL: url('order'),
    DELIVERY_SERVICE_URL: url('delivery'),
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '3000',
  };
  const own: Record<ProcessName, Record<string, string>> = {
    user: {
      JWT_PRIVATE_KEY: keys.privateKey,
      DATA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      BCRYPT_COST: '10',
    },
    restaurant: {},
    order: {},
    delivery: {},
    gateway: { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_PER_HOUR: '1000000' },
  };

  const children = new Map<ProcessName, ChildProcess>();
  const output = new Map<ProcessName, string[]>();

  const waitReady = async (name: ProcessName, timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const child = children.get(name);
      if (child && child.exitCode !== null) break;
      try {
        const res = await fetch(`${url(name)}/health/ready`, { signal: AbortSignal.timeout(1000) });
        if (res.ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`${name} did not become ready:\n${(output.get(name) ?? []).join('\n')}`);
  };

  const start = async (name: ProcessName): Promise<void> => {
    const { dir, role } = definitions[name];
    const lines: string[] = [];
    output.set(name, lines);
    const child = spawn(process.execPath, nodeArgs(dir), {
      cwd: root,
      env: {
        ...process.env,
        ...testEnv(role, {}, SYSTEM_TEST_DATABASE),
        ...shared,
        OTEL_SERVICE_NAME: traceServiceName(name),
        ...own[name],
        ...extraEnv[name],
        PORT: String(ports[name]),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        lines.push(...chunk.split('\n').filter(Boolean));
        if (lines.length > 200) lines.splice(0, lines.length - 200);
      });
    }
    children.set(name, child);
    await waitReady(name);
  };

  const kill = async (name: ProcessName, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    const child = children.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };

  const names = Object.keys(definitions) as ProcessName[];
  try {
    // Services first (in parallel: each declares what it needs), then the gateway in front of them.
    await Promise.all(names.filter((n) => n !== 'gateway').map(start));
    await start('gateway');
  } catch (err) {
    await Promise.all(names.map((n) => kill(n, 'SIGKILL')));
    throw err;
  }

  return {
    gatewayUrl: url('gateway'),
    url,
    kill,
    start,
    logs: (name) => (output.get(name) ?? []).join('\n'),
    stop: async () => {
      await Promise.all(names.map((n) => kill(n)));
    },
  };
}
