import { type DeliveryStack, startDeliveryStack, type Trip } from '../fixtures/delivery-service.js';
import { monotonicMs, TrackerProcesses } from '../fixtures/delivery-trackers.js';
import type { BenchContext, Load, Measurement, Scenario } from '../lib/types.js';

/**
 * Live tracking over Socket.IO on one real delivery-service instance (PostgreSQL, Redis streams adapter,
 * RabbitMQ). `sockets.hold` keeps many authenticated tracking clients connected and reports the service's
 * resident memory per connection; `sockets.fanout` sends driver positions through the REST endpoint at a
 * fixed rate and times each one until the tracking client of that order receives it. The clients live in
 * processes of their own (`fixtures/delivery-trackers.ts`), timed on the machine-wide monotonic clock.
 */

const HOLD_CLIENTS = Number(process.env['BENCH_SOCKET_CLIENTS'] ?? 10_000);
/** Processes the held clients are spread over: a few thousand sockets each. */
const HOLD_PROCESSES = Math.max(1, Math.ceil(HOLD_CLIENTS / 2500));
const FANOUT_TRACKERS = 1000;
const FANOUT_RATE = Number(process.env['BENCH_FANOUT_RATE'] ?? 1000);

const percentile = (values: number[], q: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

const round = (cores: number): number => Math.round(cores * 100) / 100;

/** CPU seconds used so far by the service and by the load generator (this process and the trackers). */
async function cpuSeconds(deliveries: DeliveryStack, trackers: TrackerProcesses) {
  const usage = process.cpuUsage();
  return {
    server: await deliveries.cpuSeconds(),
    load: (usage.user + usage.system) / 1e6 + (await trackers.cpuSeconds()),
  };
}

/** Cores used between two `cpuSeconds` readings `seconds` apart. */
const cores = (before: { server: number; load: number }, after: { server: number; load: number }, seconds: number) => ({
  server: round((after.server - before.server) / seconds),
  load: round((after.load - before.load) / seconds),
});

const stack = (context: BenchContext): Promise<DeliveryStack> =>
  context.fixture('delivery.stack', async () => {
    const fixture = await startDeliveryStack(Math.max(HOLD_CLIENTS, FANOUT_TRACKERS));
    context.log(`sockets: ${fixture.value.trips.length} deliveries under way`);
    return fixture;
  });

const tracking = (trips: Trip[]) => trips.map((trip) => ({ orderId: trip.orderId, token: trip.customerToken }));

export const scenarios: Scenario[] = [
  {
    name: 'sockets.hold',
    goal: `${HOLD_CLIENTS} tracking clients under 1 GiB RSS (rps: handshakes/s; p50/p99: connect + track)`,
    async run(context) {
      const deliveries = await stack(context);
      const trackers = await TrackerProcesses.start(HOLD_PROCESSES);
      try {
        const before = await deliveries.rssBytes();
        const cpuBefore = await cpuSeconds(deliveries, trackers);
        const opened = await trackers.open(deliveries.baseUrl, tracking(deliveries.trips.slice(0, HOLD_CLIENTS)), 200);
        const cpu = cores(cpuBefore, await cpuSeconds(deliveries, trackers), opened.seconds);
        // Let the allocations of the handshakes settle before reading the memory held for the connections.
        await new Promise((resolve) => setTimeout(resolve, 3000));
        const after = await deliveries.rssBytes();
        const perConnection = (after - before) / Math.max(1, opened.connected);
        context.log(
          `sockets.hold: ${opened.connected}/${HOLD_CLIENTS} connected from ${HOLD_PROCESSES} processes; ` +
            `service RSS ${(after / 2 ** 20).toFixed(0)} MiB (${(perConnection / 1024).toFixed(1)} KiB per connection)`,
        );
        if (opened.failures.length > 0) context.log(`sockets.hold: first failure: ${opened.failures[0]}`);
        const load: Load = { connections: 200, durationS: opened.seconds, warmupS: 0 };
        const measurement: Measurement = {
          rps: opened.connected / opened.seconds,
          p50Ms: percentile(opened.handshakeMs, 0.5),
          p99Ms: percentile(opened.handshakeMs, 0.99),
          errors: opened.failures.length + (opened.connected < HOLD_CLIENTS ? 1 : 0) + (after > 2 ** 30 ? 1 : 0),
          cpu,
        };
        return { measurement, load, compare: 'latency' };
      } finally {
        await trackers.stop();
      }
    },
  },
  {
    name: 'sockets.fanout',
    goal: `p99 ≤ 50 ms from a location PUT to its tracker, ${FANOUT_TRACKERS} trackers at ${FANOUT_RATE} updates/s`,
    async run(context) {
      const deliveries = await stack(context);
      const trips = deliveries.trips.slice(0, FANOUT_TRACKERS);
      const trackers = await TrackerProcesses.start(2);
      try {
        const opened = await trackers.open(deliveries.baseUrl, tracking(trips), 200);
        // Each update is told apart by its longitude: the n-th update of a delivery is sent at -74 + n / 10^5.
        const sequence = new Map<string, number>();
        const sentAt = new Map<string, number>();
        let measuring = false;
        let next = 0;
        const request = () => {
          const trip = trips[next % trips.length] as Trip;
          next += 1;
          const n = (sequence.get(trip.deliveryId) ?? 0) + 1;
          sequence.set(trip.deliveryId, n);
          const lng = -74 + n / 100_000;
          if (measuring) sentAt.set(`${trip.deliveryId} ${lng}`, monotonicMs());
          return {
            path: `/api/deliveries/${trip.deliveryId}/location`,
            body: JSON.stringify({ lat: 40.72, lng, heading: 90, speedKmh: 25 }),
            headers: { authorization: `Bearer ${trip.driverToken}`, 'content-type': 'application/json' },
          };
        };
        const load: Load = { connections: 50, durationS: 10, warmupS: 2, rate: FANOUT_RATE };
        const target = {
          baseUrl: deliveries.baseUrl,
          path: '/',
          method: 'PUT' as const,
          next: request,
          ...(deliveries.pid === undefined ? {} : { pid: deliveries.pid }),
        };
        // Warmed up separately, so only the measured run's updates are timed.
        await context.measure(target, { ...load, durationS: load.warmupS, warmupS: 0 });
        await trackers.collect();
        measuring = true;
        const trackersBefore = await trackers.cpuSeconds();
        const started = monotonicMs();
        const sent = await context.measure(target, { ...load, warmupS: 0 });
        const trackerCores = ((await trackers.cpuSeconds()) - trackersBefore) / ((monotonicMs() - started) / 1000);
        measuring = false;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const latencies: number[] = [];
        for (const update of await trackers.collect()) {
          const at = sentAt.get(`${update.deliveryId} ${update.lng}`);
          if (at !== undefined) latencies.push(update.atMs - at);
        }
        // Every update the service acknowledged must reach its tracker; one that never did counts as an error.
        const lost = Math.max(0, sentAt.size - sent.errors - latencies.length);
        context.log(
          `sockets.fanout: ${latencies.length} updates received of ${sentAt.size} sent, ${lost} lost ` +
            `(PUT answered in p50 ${sent.p50Ms.toFixed(1)} ms, p99 ${sent.p99Ms.toFixed(1)} ms)`,
        );
        const measurement: Measurement = {
          rps: sent.rps,
          p50Ms: percentile(latencies, 0.5),
          p99Ms: percentile(latencies, 0.99),
          errors: sent.errors + opened.failures.length + lost,
          // The load generator is the request sender and the tracker processes together.
          ...(sent.cpu ? { cpu: { ...sent.cpu, load: round(sent.cpu.load + trackerCores) } } : {}),
        };
        return {
          measurement,
          load,
          compare: 'latency',
          baseline: { path: '/', contentType: 'application/json; charset=utf-8', body: Buffer.from('{"ok":true}') },
        };
      } finally {
        await trackers.stop();
      }
    },
  },
];
