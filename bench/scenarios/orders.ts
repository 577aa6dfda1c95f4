import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import amqplib from 'amqplib';
import { ORDERS_EXCHANGE } from '@foodflow/platform';
import { generateTestKeys, signTestAccessToken } from '@foodflow/platform/testing';
import { BENCH_REDIS_URL, benchAmqpUrl, benchDatabaseUrl, prepareInfrastructure } from '../lib/infrastructure.js';
import { freePort, startTsProcess, stopProcess, waitUntilReady } from '../lib/processes.js';
import type { BenchContext, Load, Measurement, SampledResponse, Scenario, Target } from '../lib/types.js';

/**
 * `orders.create`: HTTP → commit (order, payment, idempotency key and outbox row in one transaction) →
 * broker confirm, on the real order service against PostgreSQL, Redis and RabbitMQ. Its peers (pricing,
 * addresses) are a fixed in-memory stand-in, so only the order service is measured. Every request is a
 * different customer with a filled cart and a fresh Idempotency-Key, as real checkouts are.
 */

interface OrderStack {
  baseUrl: string;
  /** The order service's process, for its CPU time. */
  pid: number | undefined;
  /** Customers whose carts are filled and who have not checked out yet. */
  takeCustomers(count: number): Promise<Customer[]>;
}

interface Customer {
  token: string;
  addressId: string;
}

/** A request shaped for autocannon: a new customer's checkout each time. */
interface CheckoutRequest {
  path: string;
  body: string;
  headers: Record<string, string>;
}

/** Starts the peers stand-in, the order service and a queue that keeps every `order.*` event, as consumers would. */
async function startOrderStack(context: BenchContext) {
  await prepareInfrastructure();
  const broker = await amqplib.connect(benchAmqpUrl());
  const channel = await broker.createChannel();
  await channel.assertExchange(ORDERS_EXCHANGE, 'topic', { durable: true });
  // Durable and persistent like the real consumers' queues, so confirms include the disk write.
  const { queue } = await channel.assertQueue(`bench.orders.${randomUUID()}`, { durable: true });
  await channel.bindQueue(queue, ORDERS_EXCHANGE, 'order.*');

  const secret = randomBytes(32).toString('hex');
  const peersPort = await freePort();
  const peers = startTsProcess('bench/fixtures/order-peers.ts', [String(peersPort), secret], process.env);
  const [firstLine] = (await once(peers.stdout!, 'data')) as [Buffer];
  const { menuItemIds } = JSON.parse(firstLine.toString()) as { menuItemIds: string[] };

  const keys = generateTestKeys();
  const port = await freePort();
  const peersUrl = `http://127.0.0.1:${peersPort}`;
  const service = startTsProcess('services/order/src/main.ts', [], {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: benchDatabaseUrl('orders_service'),
    // Each connection is a PostgreSQL process; on two cores more than a few only add switching, and a
    // checkout holds one for a single statement.
    DATABASE_POOL_MAX: '8',
    REDIS_URL: BENCH_REDIS_URL,
    AMQP_URL: benchAmqpUrl(),
    JWT_PUBLIC_KEY: keys.publicKey,
    INTERNAL_API_SECRET: secret,
    RESTAURANT_SERVICE_URL: peersUrl,
    USER_SERVICE_URL: peersUrl,
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilReady(`${baseUrl}/health/ready`, service);

  /** Fills carts through the API, a few at a time, before the measurement starts. */
  const takeCustomers = async (count: number): Promise<Customer[]> => {
    const customers: Customer[] = [];
    // Signed batch by batch: signing them all first would stall this process long enough for the service
    // to close its idle keep-alive connections under the client's feet.
    for (let i = 0; i < count; i += 50) {
      const batch = Array.from({ length: Math.min(50, count - i) }, () => ({
        token: signTestAccessToken({ privateKey: keys.privateKey, role: 'customer' }),
        addressId: randomUUID(),
      }));
      customers.push(...batch);
      await Promise.all(
        batch.map(async (customer, index) => {
          const res = await fetch(`${baseUrl}/api/cart/items`, {
            method: 'POST',
            headers: { authorization: `Bearer ${customer.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ menuItemId: menuItemIds[index % menuItemIds.length], quantity: 2 }),
          });
          if (!res.ok) throw new Error(`Filling a cart answered ${res.status}: ${await res.text()}`);
        }),
      );
    }
    context.log(`orders: ${count} carts filled`);
    return customers;
  };

  return {
    value: { baseUrl, pid: service.pid, takeCustomers } satisfies OrderStack,
    stop: async () => {
      await stopProcess(service);
      await stopProcess(peers);
      await channel.deleteQueue(queue);
      await broker.close();
    },
  };
}

/** A target handing each request to the next unused customer. */
function checkoutTarget(stack: OrderStack, customers: Customer[]): Target {
  let next = 0;
  const request = (): CheckoutRequest => {
    const customer = customers[next % customers.length] as Customer;
    next += 1;
    return {
      path: '/api/orders',
      body: JSON.stringify({ addressId: customer.addressId, payment: { method: 'card', cardToken: 'tok_visa' } }),
      headers: {
        authorization: `Bearer ${customer.token}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
    };
  };
  return {
    baseUrl: stack.baseUrl,
    path: '/api/orders',
    method: 'POST',
    next: request,
    ...(stack.pid === undefined ? {} : { pid: stack.pid }),
  };
}

/** Enough customers for the warm-up and the run at `expectedRps`, with room to spare. */
const customersFor = (load: Load, expectedRps: number): number =>
  Math.ceil((load.warmupS + load.durationS) * expectedRps * 1.3);

/** Headers that describe one connection or one moment rather than the response (as `sample` leaves out). */
const NOT_REPLAYED = new Set(['connection', 'keep-alive', 'date', 'content-length', 'transfer-encoding']);

/** One order response, for the baselines to send the same bytes and headers. */
async function sampleOrder(stack: OrderStack): Promise<{ path: string } & SampledResponse> {
  const [customer] = await stack.takeCustomers(1);
  const { path, body, headers } = (checkoutTarget(stack, [customer as Customer]).next?.() ?? {}) as CheckoutRequest;
  const res = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers, body });
  if (res.status !== 201) throw new Error(`Checkout answered ${res.status}: ${await res.text()}`);
  const replayed: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (!NOT_REPLAYED.has(name)) replayed[name] = value;
  });
  return {
    path: '/',
    contentType: res.headers.get('content-type') ?? 'application/json',
    body: Buffer.from(await res.arrayBuffer()),
    headers: replayed,
  };
}

interface Histogram {
  buckets: [number, number][];
  count: number;
}

/** The relay's commit-to-confirm histogram (its count: events the broker confirmed), and the orders placed. */
async function readLag(baseUrl: string): Promise<Histogram & { ordersCreated: number }> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const buckets: [number, number][] = [];
  let count = 0;
  let ordersCreated = 0;
  for (const line of text.split('\n')) {
    const bucket = /^outbox_publish_lag_seconds_bucket\{.*le="([^"]+)".*\} (\d+)/.exec(line);
    if (bucket) buckets.push([bucket[1] === '+Inf' ? Infinity : Number(bucket[1]), Number(bucket[2])]);
    const total = /^outbox_publish_lag_seconds_count\{.*\} (\d+)/.exec(line);
    if (total) count = Number(total[1]);
    const created = /^orders_created_total(?:\{.*\})? (\d+)/.exec(line);
    if (created) ordersCreated = Number(created[1]);
  }
  return { buckets, count, ordersCreated };
}

/**
 * Waits until the broker has confirmed an event for every order placed since the service started (checkout
 * is the only thing publishing here); false if that takes over 30 s.
 */
async function drained(baseUrl: string): Promise<boolean> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const { count, ordersCreated } = await readLag(baseUrl);
    if (count >= ordersCreated) return true;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return false;
}

/** A quantile of the observations made between two snapshots, interpolated within its bucket as Prometheus does. */
function quantileMs(before: Histogram, after: Histogram, q: number): number {
  const count = after.count - before.count;
  if (count === 0) throw new Error('No event was published during the run');
  const rank = q * count;
  let lower = 0;
  let below = 0;
  for (const [le, cumulative] of after.buckets) {
    const inBucket = cumulative - (before.buckets.find(([l]) => l === le)?.[1] ?? 0);
    if (inBucket >= rank) {
      if (le === Infinity) return lower * 1000;
      const share = inBucket === below ? 0 : (rank - below) / (inBucket - below);
      return (lower + (le - lower) * share) * 1000;
    }
    lower = le;
    below = inBucket;
  }
  return NaN;
}

const stack = (context: BenchContext) => context.fixture('orders.stack', () => startOrderStack(context));

export const scenarios: Scenario[] = [
  {
    name: 'orders.create',
    goal: '≥ 400 orders/s sustained, counted when the broker has confirmed their order.created',
    async run(context) {
      const orders = await stack(context);
      const load: Load = { connections: 40, durationS: 10, warmupS: 3 };
      const baseline = await sampleOrder(orders);
      const customers = await orders.takeCustomers(customersFor(load, 900));
      const target = checkoutTarget(orders, customers);
      await context.measure(target, { ...load, durationS: load.warmupS, warmupS: 0 });
      // An order counts once its event is out: from the first request of the run until the relay has had
      // the broker confirm every order.created it committed (so a relay falling behind lowers the figure).
      if (!(await drained(orders.baseUrl))) throw new Error('The warm-up was still unconfirmed after 30 s');
      const before = await readLag(orders.baseUrl);
      const start = performance.now();
      const placed = await context.measure(target, { ...load, warmupS: 0 });
      if (!(await drained(orders.baseUrl))) throw new Error('Events were still unconfirmed after 30 s');
      const elapsedS = (performance.now() - start) / 1000;
      const after = await readLag(orders.baseUrl);
      const created = after.ordersCreated - before.ordersCreated;
      context.log(
        `orders.create: ${created} orders, all confirmed by the broker ${Math.round(elapsedS * 1000 - load.durationS * 1000)} ms after the load ended; ` +
          `their outbox lag p50 ${quantileMs(before, after, 0.5).toFixed(1)} ms, p99 ${quantileMs(before, after, 0.99).toFixed(1)} ms`,
      );
      return { measurement: { ...placed, rps: created / elapsedS }, load, compare: 'throughput', baseline };
    },
  },
  {
    name: 'orders.create.fixed-rate',
    goal: 'p99 ≤ 50 ms at 200 orders/s',
    async run(context) {
      const orders = await stack(context);
      const load: Load = { connections: 20, durationS: 10, warmupS: 2, rate: 200 };
      const baseline = await sampleOrder(orders);
      const customers = await orders.takeCustomers(customersFor(load, 200));
      const measurement = await context.measure(checkoutTarget(orders, customers), load);
      return { measurement, load, compare: 'latency', baseline };
    },
  },
  {
    name: 'orders.outbox-lag',
    goal: 'outbox lag p99 ≤ 100 ms at 200 orders/s (p50/p99 are the lag; rps the orders placed)',
    async run(context) {
      const orders = await stack(context);
      const load: Load = { connections: 20, durationS: 10, warmupS: 0, rate: 200 };
      const customers = await orders.takeCustomers(customersFor(load, 200));
      // Let the relay publish whatever earlier scenarios left, so only this run's events are counted.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const before = await readLag(orders.baseUrl);
      const placed = await context.measure(checkoutTarget(orders, customers), load);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const after = await readLag(orders.baseUrl);
      const measurement: Measurement = {
        rps: placed.rps,
        p50Ms: quantileMs(before, after, 0.5),
        p99Ms: quantileMs(before, after, 0.99),
        errors: placed.errors,
      };
      return { measurement, load, compare: 'latency' };
    },
  },
];
