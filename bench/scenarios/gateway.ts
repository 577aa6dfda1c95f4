import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { generateTestKeys, signTestAccessToken } from '@foodflow/platform/testing';
import { bootstrapDatabase } from '../../db/bootstrap.js';
import { ADMIN_DATABASE_URL } from '../../tests/setup/test-env.js';
import { sample } from '../lib/measure.js';
import { freePort, startTsProcess, stopProcess, waitUntilReady } from '../lib/processes.js';
import type { BenchContext, Fixture, Load, Scenario } from '../lib/types.js';

/**
 * `gateway.restaurants.list`: what the local gateway adds to a request. The same public restaurant search
 * is measured straight at the real restaurant service and through the gateway (routing, CORS, the Redis
 * rate-limit round trip, proxying), in the same run at the same fixed rate. The reported figures are the
 * gateway's; the p50 it adds over the direct path is logged beside them.
 */

const BENCH_DATABASE = 'foodflow_bench';
const BENCH_VHOST = 'foodflow_bench';
const BENCH_REDIS_URL = 'redis://127.0.0.1:6379/3';
const RESTAURANTS = 20;

interface GatewayStack {
  directUrl: string;
  gatewayUrl: string;
  servicePid: number | undefined;
  gatewayPid: number | undefined;
  /** A search that finds this run's restaurants and nothing else. */
  path: string;
}

const pgUrl = (role: string): string => {
  const url = new URL(ADMIN_DATABASE_URL);
  url.username = role;
  url.password = role;
  url.pathname = `/${BENCH_DATABASE}`;
  return url.toString();
};

/** The benchmarks' own broker vhost, so the restaurant service never consumes development events. */
function ensureBenchVhost(): void {
  const vhosts = execFileSync('rabbitmqctl', ['-q', 'list_vhosts'], { encoding: 'utf8' });
  if (!vhosts.split('\n').some((line) => line.trim() === BENCH_VHOST)) {
    execFileSync('rabbitmqctl', ['-q', 'add_vhost', BENCH_VHOST]);
  }
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', BENCH_VHOST, 'guest', '.*', '.*', '.*']);
}

const everyDay = [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, open: '00:00', close: '24:00' }));

async function startGatewayStack(context: BenchContext): Promise<Fixture<GatewayStack>> {
  await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: BENCH_DATABASE });
  ensureBenchVhost();
  const keys = generateTestKeys();
  const common = {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    REDIS_URL: BENCH_REDIS_URL,
    JWT_PUBLIC_KEY: keys.publicKey,
  };

  const servicePort = await freePort();
  const directUrl = `http://127.0.0.1:${servicePort}`;
  const service = startTsProcess('services/restaurant/src/main.ts', [], {
    ...common,
    PORT: String(servicePort),
    DATABASE_URL: pgUrl('restaurants_service'),
    AMQP_URL: `amqp://guest:guest@127.0.0.1:5672/${BENCH_VHOST}`,
    INTERNAL_API_SECRET: randomBytes(32).toString('hex'),
  });
  await waitUntilReady(`${directUrl}/health/ready`, service);

  // A spot in the open sea, fresh each run, so the search finds exactly this run's restaurants.
  const place = { lat: -40 + Math.random() * 20, lng: -150 + Math.random() * 40 };
  const owner = signTestAccessToken({ privateKey: keys.privateKey, role: 'restaurant_owner' });
  for (let i = 0; i < RESTAURANTS; i++) {
    const res = await fetch(`${directUrl}/api/restaurants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `Bench Kitchen ${i}`,
        cuisine: 'italian',
        address: {
          street: `${i} Bench Street`,
          city: 'Benchville',
          postalCode: '10001',
          location: { lat: place.lat + i * 0.001, lng: place.lng },
        },
        openingHours: everyDay,
        deliveryFeeCents: 299,
        minOrderCents: 1000,
        prepTimeMinutes: 20,
      }),
    });
    if (res.status !== 201) throw new Error(`Creating a restaurant answered ${res.status}: ${await res.text()}`);
  }
  context.log(`gateway: ${RESTAURANTS} restaurants created`);

  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const gateway = startTsProcess('gateway/src/main.ts', [], {
    ...common,
    PORT: String(gatewayPort),
    USER_SERVICE_URL: directUrl,
    RESTAURANT_SERVICE_URL: directUrl,
    ORDER_SERVICE_URL: directUrl,
    DELIVERY_SERVICE_URL: directUrl,
    // Every benchmark request comes from one address; the limit still counts in Redis on each request.
    RATE_LIMIT_PER_MINUTE: '1000000000',
    RATE_LIMIT_PER_HOUR: '1000000000',
  });
  await waitUntilReady(`${gatewayUrl}/health/ready`, gateway);

  return {
    value: {
      directUrl,
      gatewayUrl,
      servicePid: service.pid,
      gatewayPid: gateway.pid,
      path: `/api/restaurants?near=${place.lat},${place.lng}&radiusKm=10&sort=distance`,
    },
    stop: async () => {
      await stopProcess(gateway);
      await stopProcess(service);
    },
  };
}

export const scenarios: Scenario[] = [
  {
    name: 'gateway.restaurants.list',
    goal: 'the gateway adds ≤ 1 ms at p50 at 500 requests/s (logged as "adds")',
    async run(context) {
      const stack = await context.fixture('gateway.stack', () => startGatewayStack(context));
      const load: Load = { connections: 20, durationS: 10, warmupS: 3, rate: 500 };
      const direct = await context.measure({ baseUrl: stack.directUrl, path: stack.path, pid: stack.servicePid }, load);
      const through = await context.measure(
        { baseUrl: stack.gatewayUrl, path: stack.path, pid: stack.gatewayPid },
        load,
      );
      const ms = (value: number): string => `${value.toFixed(2)} ms`;
      context.log(
        `gateway.restaurants.list: p50 ${ms(through.p50Ms)} through the gateway, ${ms(direct.p50Ms)} direct: ` +
          `the gateway adds ${ms(through.p50Ms - direct.p50Ms)} at p50 ` +
          `(p99 ${ms(through.p99Ms)} vs ${ms(direct.p99Ms)}; the gateway itself used ${through.cpu?.server ?? '?'} cores)`,
      );
      const baseline = { path: '/', ...(await sample(stack.gatewayUrl, stack.path)) };
      return { measurement: through, load, compare: 'latency', baseline };
    },
  },
];
