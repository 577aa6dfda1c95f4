import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { generateTestKeys, signTestAccessToken } from '@foodflow/platform/testing';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { BENCH_REDIS_URL, benchAmqpUrl, benchDatabaseUrl, prepareInfrastructure } from '../lib/infrastructure.js';
import { freePort, startTsProcess, stopProcess, waitUntilReady } from '../lib/processes.js';
import type { BenchContext, Fixture, Load, Measurement, Scenario } from '../lib/types.js';

/**
 * Live tracking over Socket.IO on one real delivery-service instance (PostgreSQL, Redis streams adapter,
 * RabbitMQ). `sockets.hold` keeps many authenticated tracking clients connected and reports the service's
 * resident memory per connection; `sockets.fanout` sends driver positions through the REST endpoint at a
 * fixed rate and times each one until the tracking client of that order receives it.
 */

const HOLD_CLIENTS = Number(process.env['BENCH_SOCKET_CLIENTS'] ?? 10_000);
const FANOUT_TRACKERS = 1000;
const FANOUT_RATE = 1000;

interface Trip {
  orderId: string;
  deliveryId: string;
  customerId: string;
  driverId: string;
}

interface DeliveryStack {
  baseUrl: string;
  trips: Trip[];
  customerToken(trip: Trip): string;
  driverToken(trip: Trip): string;
  rssBytes(): Promise<number>;
}

/** Orders under way, each with its own driver, written straight into the delivery schema. */
async function seedTrips(count: number): Promise<{ trips: Trip[]; remove: () => Promise<void> }> {
  const trips: Trip[] = Array.from({ length: count }, () => ({
    orderId: randomUUID(),
    deliveryId: randomUUID(),
    customerId: randomUUID(),
    driverId: randomUUID(),
  }));
  const client = new pg.Client({ connectionString: benchDatabaseUrl('deliveries_service') });
  await client.connect();
  const column = (key: keyof Trip): string[] => trips.map((t) => t[key]);
  await client.query(
    `INSERT INTO orders (id, customer_id, restaurant_id, restaurant_owner_id, status, status_rank, driver_id)
     SELECT o, c, gen_random_uuid(), gen_random_uuid(), 'picked_up', 4, d
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS t(o, c, d)`,
    [column('orderId'), column('customerId'), column('driverId')],
  );
  await client.query(
    `INSERT INTO deliveries (id, order_id, driver_id, driver_first_name, status, pickup_lat, pickup_lng,
                             dropoff_lat, dropoff_lng, assigned_at, picked_up_at)
     SELECT id, o, d, 'Bench', 'picked_up', 40.7128, -74.006, 40.73, -73.99, now(), now()
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS t(id, o, d)`,
    [column('deliveryId'), column('orderId'), column('driverId')],
  );
  await client.end();
  return {
    trips,
    remove: async () => {
      const cleanup = new pg.Client({ connectionString: benchDatabaseUrl('deliveries_service') });
      await cleanup.connect();
      await cleanup.query('DELETE FROM deliveries WHERE id = ANY($1::uuid[])', [column('deliveryId')]);
      await cleanup.query('DELETE FROM orders WHERE id = ANY($1::uuid[])', [column('orderId')]);
      await cleanup.end();
    },
  };
}

async function startDeliveryStack(context: BenchContext): Promise<Fixture<DeliveryStack>> {
  await prepareInfrastructure();
  const keys = generateTestKeys();
  const port = await freePort();
  const service = startTsProcess('services/delivery/src/main.ts', [], {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: benchDatabaseUrl('deliveries_service'),
    DATABASE_POOL_MAX: '20',
    REDIS_URL: BENCH_REDIS_URL,
    AMQP_URL: benchAmqpUrl(),
    JWT_PUBLIC_KEY: keys.publicKey,
    INTERNAL_API_SECRET: randomBytes(32).toString('hex'),
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${baseUrl}/health/ready`, service);
  const { trips, remove } = await seedTrips(Math.max(FANOUT_TRACKERS, 1000));
  context.log(`sockets: ${trips.length} deliveries under way`);

  const tokens = new Map<string, string>();
  const tokenFor = (sub: string, role: 'customer' | 'driver'): string => {
    let token = tokens.get(sub);
    if (!token) {
      // Valid for the whole run: the service disconnects a socket when its token expires.
      token = signTestAccessToken({ privateKey: keys.privateKey, sub, role, expiresInS: 3600 });
      tokens.set(sub, token);
    }
    return token;
  };

  return {
    value: {
      baseUrl,
      trips,
      customerToken: (trip) => tokenFor(trip.customerId, 'customer'),
      driverToken: (trip) => tokenFor(trip.driverId, 'driver'),
      rssBytes: async () => {
        const text = await (await fetch(`${baseUrl}/metrics`)).text();
        const line = /^process_resident_memory_bytes\{[^}]*\} (\d+(?:\.\d+)?(?:e\+\d+)?)/m.exec(text);
        if (!line) throw new Error('The service does not report its resident memory');
        return Number(line[1]);
      },
    },
    stop: async () => {
      await stopProcess(service);
      await remove();
    },
  };
}

/** Connects one tracking client and has it follow `trip`; resolves with the handshake-to-ack time. */
async function trackingClient(stack: DeliveryStack, trip: Trip): Promise<{ socket: Socket; ms: number }> {
  const started = performance.now();
  const socket = io(stack.baseUrl, {
    auth: { token: stack.customerToken(trip) },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = (await socket.timeout(30_000).emitWithAck('track', { orderId: trip.orderId })) as { ok: boolean };
  if (!ack.ok) throw new Error(`track refused: ${JSON.stringify(ack)}`);
  return { socket, ms: performance.now() - started };
}

/** Opens `count` clients, `concurrency` handshakes at a time. */
async function openClients(stack: DeliveryStack, count: number, concurrency = 200) {
  const sockets: Socket[] = [];
  const handshakeMs: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const trip = stack.trips[next % stack.trips.length] as Trip;
        next += 1;
        try {
          const { socket, ms } = await trackingClient(stack, trip);
          sockets.push(socket);
          handshakeMs.push(ms);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return { sockets, handshakeMs, errors, seconds: (performance.now() - started) / 1000 };
}

const percentile = (values: number[], q: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

const stack = (context: BenchContext) => context.fixture('delivery.stack', () => startDeliveryStack(context));

export const scenarios: Scenario[] = [
  {
    name: 'sockets.hold',
    goal: `${HOLD_CLIENTS} tracking clients under 1 GiB RSS (rps: handshakes/s; p50/p99: connect + track)`,
    async run(context) {
      const deliveries = await stack(context);
      const before = await deliveries.rssBytes();
      const opened = await openClients(deliveries, HOLD_CLIENTS);
      try {
        // Let the allocations of the handshakes settle before reading the memory held for the connections.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const after = await deliveries.rssBytes();
        const perConnection = (after - before) / Math.max(1, opened.sockets.length);
        context.log(
          `sockets.hold: ${opened.sockets.length}/${HOLD_CLIENTS} connected; service RSS ` +
            `${(after / 2 ** 20).toFixed(0)} MiB (${(perConnection / 1024).toFixed(1)} KiB per connection)`,
        );
        const load: Load = { connections: 200, durationS: opened.seconds, warmupS: 0 };
        const measurement: Measurement = {
          rps: opened.sockets.length / opened.seconds,
          p50Ms: percentile(opened.handshakeMs, 0.5),
          p99Ms: percentile(opened.handshakeMs, 0.99),
          errors: opened.errors + (after > 2 ** 30 ? 1 : 0),
        };
        return { measurement, load, compare: 'latency' };
      } finally {
        for (const socket of opened.sockets) socket.close();
      }
    },
  },
  {
    name: 'sockets.fanout',
    goal: `p99 ≤ 50 ms from a location PUT to its tracker, ${FANOUT_TRACKERS} trackers at ${FANOUT_RATE} updates/s`,
    async run(context) {
      const deliveries = await stack(context);
      const trips = deliveries.trips.slice(0, FANOUT_TRACKERS);
      const opened = await openClients(deliveries, trips.length);
      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      let measuring = false;
      for (const socket of opened.sockets) {
        socket.on('location_update', (update: { deliveryId: string }) => {
          const sent = sentAt.get(update.deliveryId);
          if (sent !== undefined && measuring) latencies.push(performance.now() - sent);
        });
      }
      try {
        let next = 0;
        // Each delivery gets one update a second, far apart enough that an update is matched to its send.
        const request = () => {
          const trip = trips[next % trips.length] as Trip;
          next += 1;
          sentAt.set(trip.deliveryId, performance.now());
          return {
            path: `/api/deliveries/${trip.deliveryId}/location`,
            body: JSON.stringify({ lat: 40.72 + (next % 100) / 10_000, lng: -74, heading: 90, speedKmh: 25 }),
            headers: { authorization: `Bearer ${deliveries.driverToken(trip)}`, 'content-type': 'application/json' },
          };
        };
        const load: Load = { connections: 50, durationS: 10, warmupS: 2, rate: FANOUT_RATE };
        const target = { baseUrl: deliveries.baseUrl, path: '/', method: 'PUT' as const, next: request };
        // Warmed up separately, so only the measured run's deliveries are timed.
        await context.measure(target, { ...load, durationS: load.warmupS, warmupS: 0 });
        measuring = true;
        const sent = await context.measure(target, { ...load, warmupS: 0 });
        await new Promise((resolve) => setTimeout(resolve, 500));
        measuring = false;
        context.log(
          `sockets.fanout: ${latencies.length} updates received of ${Math.round(sent.rps * load.durationS)} sent`,
        );
        const measurement: Measurement = {
          rps: sent.rps,
          p50Ms: percentile(latencies, 0.5),
          p99Ms: percentile(latencies, 0.99),
          errors: sent.errors + opened.errors,
        };
        return {
          measurement,
          load,
          compare: 'latency',
          baseline: { path: '/', contentType: 'application/json; charset=utf-8', body: Buffer.from('{"ok":true}') },
        };
      } finally {
        for (const socket of opened.sockets) socket.close();
      }
    },
  },
];
