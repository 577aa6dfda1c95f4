import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDERS_EXCHANGE } from '@foodflow/platform';
import { eventually, http } from '@foodflow/platform/testing';
import {
  newCustomer,
  openTestChannel,
  type OrderServiceUnderTest,
  PeerServices,
  startOrderService,
} from './support.js';

const CHECKOUTS = 200;
const peers = new PeerServices();
let svc: OrderServiceUnderTest;
const queue = `order-test.created.${randomUUID()}`;

const rabbitmqctl = (command: 'stop_app' | 'start_app'): void => {
  execFileSync('rabbitmqctl', ['-q', command], { stdio: 'ignore', timeout: 60_000 });
};

beforeAll(async () => {
  await peers.start();
  svc = await startOrderService({ peers });
  const { channel, close } = await openTestChannel();
  // Durable, so it outlives the broker's stop and collects everything published after the restart.
  await channel.assertQueue(queue, { durable: true });
  await channel.bindQueue(queue, ORDERS_EXCHANGE, 'order.created');
  await close();
});

afterAll(async () => {
  const { channel, close } = await openTestChannel();
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

describe('broker outage', () => {
  it('when RabbitMQ is stopped during 200 checkouts and started again, then every order.created arrives exactly once', async () => {
    const restaurant = await peers.addRestaurant({ minOrderCents: 0 });
    const customers = await inBatches(Array.from({ length: CHECKOUTS }), 20, () => newCustomer(peers));
    await inBatches(customers, 20, (customer) =>
      http('POST', `${svc.baseUrl}/api/cart/items`, {
        token: customer.token,
        body: { menuItemId: restaurant.items[0]?.id, quantity: 1 },
      }),
    );

    let statuses: number[] = [];
    let orderIds: string[] = [];
    rabbitmqctl('stop_app');
    try {
      const responses = await inBatches(customers, 20, (customer) =>
        http('POST', `${svc.baseUrl}/api/orders`, {
          token: customer.token,
          headers: { 'Idempotency-Key': randomUUID() },
          body: { addressId: customer.addressId, payment: { method: 'card', cardToken: 'tok_visa' } },
        }),
      );
      statuses = responses.map((r) => r.status);
      orderIds = responses.map((r) => r.body.id as string);
      const { rows } = await svc.db.query<{ n: number }>(
        "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND payload->'data'->>'orderId' = ANY($1)",
        [orderIds],
      );
      expect(rows[0]?.n).toBe(CHECKOUTS);
    } finally {
      rabbitmqctl('start_app');
    }
    expect(statuses).toEqual(Array(CHECKOUTS).fill(201));

    const { channel, close } = await openTestChannelWhenBack();
    try {
      const received = new Map<string, number>();
      const eventIds = new Set<string>();
      let duplicates = 0;
      await channel.consume(
        queue,
        (msg) => {
          if (!msg) return;
          const event = JSON.parse(msg.content.toString()) as { id: string; data: { orderId: string } };
          if (eventIds.has(event.id)) duplicates += 1;
          eventIds.add(event.id);
          received.set(event.data.orderId, (received.get(event.data.orderId) ?? 0) + 1);
        },
        { noAck: true },
      );
      await eventually(async () => (orderIds.every((id) => received.has(id)) ? true : undefined), 60_000, 200);
      // Let any late redelivery show itself before counting.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(orderIds.filter((id) => received.get(id) !== 1)).toEqual([]);
      expect(duplicates).toBe(0);
    } finally {
      await close();
    }
  }, 180_000);
});

/** The broker takes a moment to accept connections after `start_app`. */
async function openTestChannelWhenBack(): Promise<{ channel: amqplib.Channel; close: () => Promise<void> }> {
  return eventually(() => openTestChannel(), 30_000, 500);
}
