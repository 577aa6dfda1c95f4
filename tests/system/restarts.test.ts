import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http } from '@foodflow/platform/testing';
import { ADMIN_DATABASE_URL, SYSTEM_TEST_DATABASE } from '../setup/test-env.js';
import { startStack, type Stack } from './stack.js';
import { type Account, openRestaurant, placeOrder, register, saveAddress } from './support.js';

/**
 * Nothing accepted is lost: every order the platform accepted reaches every consumer exactly once in
 * effect, whichever part restarts: the order service crashing mid-burst, a consumer being down, the
 * broker restarting, PostgreSQL restarting. The effects counted are the restaurant's popularity
 * counter (an increment per `order.created`: a duplicate would show) and the delivery service's copy
 * of each order.
 */
let stack: Stack;
// A pool, not one client: the PostgreSQL restart ends every connection, and the pool replaces them.
let admin: pg.Pool;
let owner: Account;

beforeAll(async () => {
  stack = await startStack();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${SYSTEM_TEST_DATABASE}`;
  admin = new pg.Pool({ connectionString: url.toString(), max: 2 });
  admin.on('error', () => undefined);
  owner = await register(stack.gatewayUrl, 'restaurant_owner');
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await stack?.stop();
});

interface Shop {
  restaurantId: string;
  itemIds: string[];
  customers: { account: Account; addressId: string }[];
}

async function newShop(customers = 4): Promise<Shop> {
  const { restaurantId, itemIds } = await openRestaurant(stack.gatewayUrl, owner);
  const people = await Promise.all(
    Array.from({ length: customers }, async () => {
      const account = await register(stack.gatewayUrl, 'customer');
      return { account, addressId: await saveAddress(stack.gatewayUrl, account) };
    }),
  );
  return { restaurantId, itemIds, customers: people };
}

/** Each customer orders `perCustomer` times in a row; customers order in parallel. Returns accepted order ids. */
async function orderBurst(shop: Shop, perCustomer: number): Promise<{ accepted: string[]; failed: number }> {
  const accepted: string[] = [];
  let failed = 0;
  await Promise.all(
    shop.customers.map(async ({ account, addressId }) => {
      for (let i = 0; i < perCustomer; i += 1) {
        try {
          accepted.push((await placeOrder(stack.gatewayUrl, account, addressId, shop.itemIds)).id);
        } catch {
          failed += 1;
        }
      }
    }),
  );
  return { accepted, failed };
}

async function committedOrders(restaurantId: string): Promise<string[]> {
  const { rows } = await admin.query<{ id: string }>('SELECT id FROM orders.orders WHERE restaurant_id = $1', [
    restaurantId,
  ]);
  return rows.map((r) => r.id);
}

/** Waits until both consumers reflect exactly the committed orders, then checks nothing was doubled. */
async function expectEveryOrderConsumedOnce(restaurantId: string, accepted: string[]): Promise<void> {
  const committed = await committedOrders(restaurantId);
  expect(committed).toEqual(expect.arrayContaining(accepted));
  await eventually(
    async () => {
      const popularity = await admin.query<{ order_count: number }>(
        'SELECT order_count::int AS order_count FROM restaurants.restaurants WHERE id = $1',
        [restaurantId],
      );
      const copies = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM deliveries.orders WHERE id = ANY($1)',
        [committed],
      );
      return popularity.rows[0]?.order_count === committed.length && copies.rows[0]?.n === committed.length
        ? true
        : undefined;
    },
    60_000,
    250,
  );
  // Redeliveries may still be in flight right after catching up; give them a moment to (not) double-count.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const { rows } = await admin.query<{ order_count: number }>(
    'SELECT order_count::int AS order_count FROM restaurants.restaurants WHERE id = $1',
    [restaurantId],
  );
  expect(rows[0]?.order_count).toBe(committed.length);
}

const rabbitmqctl = (...args: string[]): void => {
  execFileSync('rabbitmqctl', ['-q', ...args], { stdio: 'ignore' });
};

const postgresCluster = (action: 'start' | 'stop' | 'restart'): void => {
  const version = execFileSync('ls', ['/etc/postgresql'], { encoding: 'utf8' }).trim().split('\n')[0] ?? '15';
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', action], { stdio: 'ignore' });
};

describe('delivery guarantees across restarts', () => {
  it('when the order service crashes in the middle of a burst, then every committed order is consumed once after it restarts', async () => {
    const shop = await newShop();
    const burst = orderBurst(shop, 5);
    await eventually(
      async () => ((await committedOrders(shop.restaurantId)).length >= 4 ? true : undefined),
      30_000,
      20,
    );
    await stack.kill('order', 'SIGKILL');
    const { accepted } = await burst;
    await stack.start('order');
    const more = await orderBurst(shop, 1);
    await expectEveryOrderConsumedOnce(shop.restaurantId, [...accepted, ...more.accepted]);
  }, 180_000);

  it('when a consumer is down while orders are accepted, then it catches up with each of them once', async () => {
    const shop = await newShop(2);
    await stack.kill('delivery', 'SIGKILL');
    const { accepted, failed } = await orderBurst(shop, 4);
    expect(failed).toBe(0);
    await stack.start('delivery');
    await expectEveryOrderConsumedOnce(shop.restaurantId, accepted);
  }, 180_000);

  it('when the broker is stopped, then checkouts are still accepted and their events delivered once it is back', async () => {
    const shop = await newShop(2);
    rabbitmqctl('stop_app');
    let result: { accepted: string[]; failed: number };
    try {
      result = await orderBurst(shop, 4);
    } finally {
      rabbitmqctl('start_app');
    }
    expect(result.failed).toBe(0);
    expect(result.accepted).toHaveLength(8);
    await expectEveryOrderConsumedOnce(shop.restaurantId, result.accepted);
  }, 180_000);

  it('when PostgreSQL restarts, then requests meanwhile get 503, never 500, and no event is lost', async () => {
    const shop = await newShop(2);
    const before = await orderBurst(shop, 2);
    postgresCluster('stop');
    try {
      const during = await http('GET', `${stack.gatewayUrl}/api/orders`, { token: shop.customers[0]!.account.token });
      expect(during.status).toBe(503);
      expect(during.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    } finally {
      postgresCluster('start');
    }
    await eventually(async () => {
      const res = await http('GET', `${stack.gatewayUrl}/api/orders`, { token: shop.customers[0]!.account.token });
      return res.status === 200 ? true : undefined;
    }, 30_000);
    const after = await orderBurst(shop, 2);
    expect(after.failed).toBe(0);
    await expectEveryOrderConsumedOnce(shop.restaurantId, [...before.accepted, ...after.accepted]);
  }, 180_000);
});
