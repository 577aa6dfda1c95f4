import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDERS_EXCHANGE } from '@foodflow/platform';
import { eventually, http } from '@foodflow/platform/testing';
import { rabbitmqctl } from '../../../tests/setup/global-setup.js';
import { TEST_VHOST } from '../../../tests/setup/test-env.js';
import { ORDER_CREATED_QUEUE } from '../../restaurant/src/popularity/order-created.consumer.js';
import {
  type Customer,
  newCustomer,
  openTestChannel,
  type OrderServiceUnderTest,
  PeerServices,
  startOrderService,
} from './support.js';

const CHECKOUTS = 200;
/** Checkouts made, and their events seen in the test queue, before the broker is told to stop. */
const MADE_BEFORE_STOP = 50;
/** Checkouts held back until the broker is down, so some orders are only ever written while it is away. */
const MADE_WHILE_DOWN = 50;

const peers = new PeerServices();
let svc: OrderServiceUnderTest;
const queue = `order-test.created.${randomUUID()}`;
let brokerStopped = false;

// Stopping takes the broker a while; the order service runs in this process, so the command must not block
// it: checkouts and the relay's batches have to keep going while the broker goes down.
const runRabbitmqctl = promisify(execFile);
const stopBroker = async (): Promise<void> => {
  brokerStopped = true;
  await runRabbitmqctl('rabbitmqctl', ['-q', 'stop_app'], { timeout: 60_000 });
};
const startBroker = async (): Promise<void> => {
  await runRabbitmqctl('rabbitmqctl', ['-q', 'start_app'], { timeout: 60_000 });
  brokerStopped = false;
};

beforeAll(async () => {
  await peers.start({ consumeOrders: true });
  svc = await startOrderService({ peers });
  const { channel, close } = await openTestChannel();
  // Durable, so it outlives the broker's stop and collects everything published on either side of it.
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, ORDERS_EXCHANGE, 'order.created');
  await close();
});

afterAll(async () => {
  // A test that failed half-way must not leave RabbitMQ stopped for everyone else on this machine.
  if (brokerStopped) await startBroker();
  const { channel, close } = await openTestChannelWhenBack();
  await channel.deleteQueue(queue);
  await close();
  await svc?.close();
  await peers.stop();
});

/** Runs `task` over `items` with at most `limit` running at once. */
async function inBatches<T, R>(items: T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit) {
    results.push(...(await Promise.all(items.slice(i, i + limit).map(task))));
  }
  return results;
}

/** Messages in a queue of the test vhost, ready and delivered but not yet acknowledged alike. */
function queueDepth(name: string): number {
  const line = rabbitmqctl('list_queues', '-p', TEST_VHOST, 'name', 'messages')
    .split('\n')
    .find((l) => l.split('\t')[0] === name);
  return Number(line?.split('\t')[1] ?? 0);
}

describe('broker outage', () => {
  // Delivery is at least once by design: a batch whose confirms were lost with the broker is published
  // again under the same message ids. So what holds is: every order's event arrives, a repeat is only ever
  // the same event again, and a consumer deduplicating on the event id (the restaurant service's popularity
  // count, through its inbox) takes each order into account exactly once.
  it('when RabbitMQ is stopped while 200 checkouts are being made and published, then every order.created arrives under one event id and its consumer counts each order exactly once', async () => {
    const restaurant = await peers.addRestaurant({ minOrderCents: 0 });
    const customers = await inBatches(Array.from({ length: CHECKOUTS }), 20, () => newCustomer(peers));
    await inBatches(customers, 20, (customer) =>
      http('POST', `${svc.baseUrl}/api/cart/items`, {
        token: customer.token,
        body: { menuItemId: restaurant.items[0].id, quantity: 1 },
      }),
    );
    const checkout = (customer: Customer) =>
      http('POST', `${svc.baseUrl}/api/orders`, {
        token: customer.token,
        headers: { 'Idempotency-Key': randomUUID() },
        body: { addressId: customer.addressId, payment: { method: 'card', cardToken: 'tok_visa' } },
      });
    const madeBeforeStop = customers.slice(0, MADE_BEFORE_STOP);
    const madeWhileStopping = customers.slice(MADE_BEFORE_STOP, CHECKOUTS - MADE_WHILE_DOWN);
    const madeWhileDown = customers.slice(CHECKOUTS - MADE_WHILE_DOWN);

    let responses;
    let stopping: Promise<void> | undefined;
    try {
      const before = await inBatches(madeBeforeStop, 5, checkout);
      const monitor = await openTestChannel();
      await eventually(
        async () => ((await monitor.channel.checkQueue(queue)).messageCount >= MADE_BEFORE_STOP ? true : undefined),
        60_000,
        20,
      );
      await monitor.close();
      // The stop is issued with the next checkouts already on their way, so the broker goes down while orders
      // are being made and their events published; the last ones wait until it is down.
      const during = inBatches(madeWhileStopping, 5, checkout);
      stopping = stopBroker();
      const [whileStopping] = await Promise.all([during, stopping]);
      const whileDown = await inBatches(madeWhileDown, 5, checkout);
      responses = [...before, ...whileStopping, ...whileDown];
    } finally {
      await stopping?.catch(() => undefined);
      await startBroker();
    }
    expect(responses.map((r) => r.status)).toEqual(Array(CHECKOUTS).fill(201));
    const orderIds = responses.map((r) => r.body.id as string);

    await eventually(
      async () => {
        const { rows } = await svc.db.query<{ n: number }>(
          "SELECT count(*) AS n FROM outbox WHERE published_at IS NOT NULL AND payload->'data'->>'orderId' = ANY($1)",
          [orderIds],
        );
        return rows[0]?.n === CHECKOUTS ? true : undefined;
      },
      60_000,
      200,
    );
    // Every event is confirmed, so every copy the broker took is in the queue by now.
    const deliveries: { id: string; data: { orderId: string } }[] = [];
    const { channel, close } = await openTestChannelWhenBack();
    try {
      for (let msg = await channel.get(queue, { noAck: true }); msg; msg = await channel.get(queue, { noAck: true })) {
        deliveries.push(JSON.parse(msg.content.toString()));
      }
    } finally {
      await close();
    }
    const eventIdsOf = new Map<string, Set<string>>();
    for (const { id, data } of deliveries)
      eventIdsOf.set(data.orderId, (eventIdsOf.get(data.orderId) ?? new Set()).add(id));
    expect([...eventIdsOf.keys()].sort()).toEqual([...orderIds].sort());
    expect(orderIds.filter((id) => eventIdsOf.get(id)?.size !== 1)).toEqual([]);
    expect(deliveries.length).toBeGreaterThanOrEqual(CHECKOUTS);

    await eventually(
      async () =>
        (await peers.orderCount(restaurant)) >= CHECKOUTS && queueDepth(ORDER_CREATED_QUEUE) === 0 ? true : undefined,
      60_000,
      500,
    );
    expect(await peers.orderCount(restaurant)).toBe(CHECKOUTS);
  }, 240_000);
});

/** The broker takes a moment to accept connections after `start_app`. */
async function openTestChannelWhenBack(): Promise<{ channel: amqplib.Channel; close: () => Promise<void> }> {
  return eventually(() => openTestChannel(), 30_000, 500);
}
