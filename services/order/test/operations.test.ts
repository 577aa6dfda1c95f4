import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@foodflow/platform';
import { eventually, http, metricValue } from '@foodflow/platform/testing';
import { cleanUp } from '../src/maintenance/cleanup.js';
import {
  newCustomer,
  type OrderServiceUnderTest,
  PeerServices,
  placeOrder,
  startOrderService,
  tokenFor,
} from './support.js';

const peers = new PeerServices();
let svc: OrderServiceUnderTest;

beforeAll(async () => {
  await peers.start();
  svc = await startOrderService({ peers });
});

afterAll(async () => {
  await svc?.close();
  await peers.stop();
});

describe('operations', () => {
  it('when orders are placed and moved, then the order metrics count them', async () => {
    const before = (await http('GET', `${svc.baseUrl}/metrics`)).body as string;
    const restaurant = await peers.addRestaurant();
    const order = await placeOrder(svc.baseUrl, await newCustomer(peers), restaurant);
    await http('PUT', `${svc.baseUrl}/api/orders/${order.id}/status`, {
      token: tokenFor('restaurant_owner', restaurant.ownerId),
      body: { status: 'confirmed' },
    });

    const after = (await http('GET', `${svc.baseUrl}/metrics`)).body as string;
    const grew = (name: string, labels: Record<string, string> = {}) =>
      metricValue(after, name, labels) - metricValue(before, name, labels);
    expect(grew('orders_created_total')).toBe(1);
    expect(grew('order_value_cents_sum', { currency: 'USD' })).toBe(order.totalCents);
    expect(grew('order_status_changes_total', { status: 'confirmed', by: 'restaurant_owner' })).toBe(1);
  });

  it('when every dependency answers, then the service reports ready', async () => {
    const res = await http('GET', `${svc.baseUrl}/health/ready`);
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({
      postgres: { status: 'up' },
      redis: { status: 'up' },
      rabbitmq: { status: 'up' },
    });
  });

  it('when Redis is unreachable, then the cart answers 503 and readiness says which dependency is down', async () => {
    const cut = await startOrderService({ peers, env: { REDIS_URL: 'redis://127.0.0.1:1/1' } });
    try {
      const cart = await http('GET', `${cut.baseUrl}/api/cart`, { token: tokenFor('customer') });
      expect(cart.status).toBe(503);
      expect(cart.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
      const ready = await http('GET', `${cut.baseUrl}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.redis.status).toBe('down');
    } finally {
      await cut.close();
    }
  });

  it('when the cleanup runs, then expired keys, old published outbox rows and old inbox rows go and fresh ones stay', async () => {
    const aged = await plantAgedRows();

    await cleanUp(svc.db, createLogger({ service: 'cleanup-test', silent: true }), {
      outboxHours: 72,
      inboxHours: 168,
    });

    expect(await remainingOf(aged)).toEqual(aged.fresh);
  });

  it('when the service runs, then its cleanup job purges on its own at the configured interval', async () => {
    const running = await startOrderService({ peers, env: { CLEANUP_INTERVAL_MS: '1000' } });
    try {
      const aged = await plantAgedRows();

      const remaining = await eventually(async () => {
        const now = await remainingOf(aged);
        return now.keys.length === 1 && now.outbox.length === 1 && now.inbox.length === 1 ? now : undefined;
      });

      expect(remaining).toEqual(aged.fresh);
    } finally {
      await running.close();
    }
  });
});

/** A key, a published outbox row and an inbox row just past their retention, and one of each just within it. */
async function plantAgedRows() {
  const userId = randomUUID();
  const [oldEvent, freshEvent, oldInbox, freshInbox] = Array.from({ length: 4 }, () => randomUUID());
  await svc.db.query(
    `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, created_at)
     VALUES ($1, 'old', 'h', 402, '{}', now() - interval '25 hours'),
            ($1, 'fresh', 'h', 402, '{}', now() - interval '23 hours')`,
    [userId],
  );
  await svc.db.query(
    `INSERT INTO outbox (id, type, payload, created_at, published_at) VALUES
       ($1, 'order.test', '{}', now() - interval '80 hours', now() - interval '73 hours'),
       ($2, 'order.test', '{}', now() - interval '2 hours', now() - interval '1 hour')`,
    [oldEvent, freshEvent],
  );
  await svc.db.query(
    `INSERT INTO inbox (event_id, type, received_at) VALUES
       ($1, 'delivery.test', now() - interval '169 hours'), ($2, 'delivery.test', now())`,
    [oldInbox, freshInbox],
  );
  return {
    userId,
    outbox: [oldEvent, freshEvent],
    inbox: [oldInbox, freshInbox],
    fresh: { keys: ['fresh'], outbox: [freshEvent], inbox: [freshInbox] },
  };
}

/** Which of the planted rows are still there. */
async function remainingOf(aged: Awaited<ReturnType<typeof plantAgedRows>>) {
  const [keys, outbox, inbox] = await Promise.all([
    svc.db.query<{ key: string }>('SELECT key FROM idempotency_keys WHERE user_id = $1', [aged.userId]),
    svc.db.query<{ id: string }>('SELECT id FROM outbox WHERE id = ANY($1)', [aged.outbox]),
    svc.db.query<{ event_id: string }>('SELECT event_id FROM inbox WHERE event_id = ANY($1)', [aged.inbox]),
  ]);
  return {
    keys: keys.rows.map((r) => r.key),
    outbox: outbox.rows.map((r) => r.id),
    inbox: inbox.rows.map((r) => r.event_id),
  };
}
