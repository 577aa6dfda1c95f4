import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http } from '@foodflow/platform/testing';
import {
  type Customer,
  newCustomer,
  orderIn,
  type OrderServiceUnderTest,
  PeerServices,
  placeOrder,
  publishDeliveryEvent,
  type Restaurant,
  sampleAddress,
  startOrderService,
  tokenFor,
} from './support.js';

type Status = 'pending' | 'confirmed' | 'preparing' | 'ready' | 'picked_up' | 'delivered' | 'cancelled';
type Actor = 'customer' | 'restaurant_owner' | 'driver' | 'admin';

const STATUSES: Status[] = ['pending', 'confirmed', 'preparing', 'ready', 'picked_up', 'delivered', 'cancelled'];
const ACTORS: Actor[] = ['customer', 'restaurant_owner', 'driver', 'admin'];

/** The contract's status table, written out independently of the service's own. */
const ALLOWED: Record<Status, Partial<Record<Status, Actor[]>>> = {
  pending: { confirmed: ['restaurant_owner'], cancelled: ['customer', 'restaurant_owner', 'admin'] },
  confirmed: { preparing: ['restaurant_owner'], cancelled: ['restaurant_owner', 'admin'] },
  preparing: { ready: ['restaurant_owner'], cancelled: ['restaurant_owner', 'admin'] },
  ready: { cancelled: ['admin'] },
  picked_up: { cancelled: ['admin'] },
  delivered: {},
  cancelled: {},
};
const allowed = (from: Status, to: Status, actor: Actor): boolean => ALLOWED[from][to]?.includes(actor) ?? false;

const peers = new PeerServices();
let svc: OrderServiceUnderTest;
let restaurant: Restaurant;

beforeAll(async () => {
  await peers.start();
  svc = await startOrderService({ peers });
  restaurant = await peers.addRestaurant();
});

afterAll(async () => {
  await svc?.close();
  await peers.stop();
});

interface Placed {
  id: string;
  tokens: Record<Actor, string>;
}

const admin = tokenFor('admin');
const statusOf = async (id: string) => (await http('GET', `${svc.baseUrl}/api/orders/${id}`, { token: admin })).body;
const move = (order: Placed, actor: Actor, status: Status, reason?: string) =>
  http('PUT', `${svc.baseUrl}/api/orders/${order.id}/status`, {
    token: order.tokens[actor],
    body: reason === undefined ? { status } : { status, reason },
  });

async function waitFor(id: string, check: (order: { status: Status; driverId: string | null }) => boolean) {
  await eventually(async () => (check(await statusOf(id)) ? true : undefined), 10_000);
}

/** A fresh order in `status` (see `orderIn`), with a token for each of the parties that may touch it. */
async function placedIn(status: Status, payment?: Record<string, string>): Promise<Placed> {
  const { id, customer, delivery } = await orderIn(svc, peers, restaurant, status, payment);
  return {
    id,
    tokens: {
      customer: customer.token,
      restaurant_owner: tokenFor('restaurant_owner', restaurant.ownerId),
      driver: tokenFor('driver', delivery.driverId),
      admin,
    },
  };
}

describe('order status changes', () => {
  for (const from of STATUSES) {
    describe(`from ${from}`, () => {
      let order: Placed;
      let historyLength: number;
      beforeAll(async () => {
        order = await placedIn(from);
        historyLength = (await statusOf(order.id)).statusHistory.length;
      });

      const forbidden = ACTORS.flatMap((actor) =>
        STATUSES.filter((to) => !allowed(from, to, actor)).map((to) => [actor, to] as const),
      );
      it.each(forbidden)(
        'when a %s asks for %s, then 409 INVALID_TRANSITION and nothing changes',
        async (actor, to) => {
          const res = await move(order, actor, to);
          expect(res.status).toBe(409);
          expect(res.body.error.code).toBe('INVALID_TRANSITION');
          const now = await statusOf(order.id);
          expect(now.status).toBe(from);
          expect(now.statusHistory).toHaveLength(historyLength);
        },
      );

      const permitted = ACTORS.flatMap((actor) =>
        STATUSES.filter((to) => allowed(from, to, actor)).map((to) => [actor, to] as const),
      );
      if (permitted.length > 0) {
        it.each(permitted)('when a %s asks for %s, then the order moves and announces it', async (actor, to) => {
          const fresh = await placedIn(from);
          const res = await move(fresh, actor, to, to === 'cancelled' ? 'Out of dough' : undefined);
          expect(res.status).toBe(200);
          expect(res.body.status).toBe(to);
          expect(res.body.statusHistory.at(-1)).toEqual({ status: to, at: expect.any(String), by: actor });
          const { rows } = await svc.db.query(
            `SELECT payload FROM outbox WHERE payload->'data'->>'orderId' = $1 AND type = $2`,
            [fresh.id, `order.${to}`],
          );
          expect(rows).toHaveLength(1);
        });
      }
    });
  }
});

describe('events of status changes', () => {
  const outboxEvent = async (orderId: string, type: string) => {
    const { rows } = await svc.db.query<{ payload: { data: unknown }; published_at: Date | null }>(
      `SELECT payload, published_at FROM outbox WHERE payload->'data'->>'orderId' = $1 AND type = $2`,
      [orderId, type],
    );
    return rows[0];
  };

  it('when an order becomes ready, then order.ready carries pickup and dropoff and is published', async () => {
    const order = await placedIn('ready');
    const ref = {
      orderId: order.id,
      customerId: expect.any(String),
      restaurantId: restaurant.restaurantId,
      restaurantOwnerId: restaurant.ownerId,
    };
    expect((await outboxEvent(order.id, 'order.confirmed'))?.payload.data).toEqual(ref);
    expect((await outboxEvent(order.id, 'order.preparing'))?.payload.data).toEqual(ref);
    expect((await outboxEvent(order.id, 'order.ready'))?.payload.data).toEqual({
      ...ref,
      pickup: restaurant.location,
      dropoff: sampleAddress().location,
    });
    await eventually(async () => (await outboxEvent(order.id, 'order.ready'))?.published_at ?? undefined);
  });

  it('when a card order is cancelled with a reason, then order.cancelled carries it and the payment is voided', async () => {
    const order = await placedIn('confirmed');
    const res = await move(order, 'restaurant_owner', 'cancelled', 'Kitchen fire');
    expect(res.body.payment).toEqual({ method: 'card', status: 'voided' });
    expect((await outboxEvent(order.id, 'order.cancelled'))?.payload.data).toMatchObject({
      orderId: order.id,
      reason: 'Kitchen fire',
      by: 'restaurant_owner',
    });
    const { rows } = await svc.db.query<{ provider_reference: string }>(
      'SELECT provider_reference FROM payments WHERE order_id = $1',
      [order.id],
    );
    const authorization = svc.payments.ledger().find((c) => c.reference === rows[0]?.provider_reference);
    expect(authorization?.state).toBe('voided');
  });

  it('when a cash order is cancelled without a reason, then the payment is voided and the reason is null', async () => {
    const order = await placedIn('pending', { method: 'cash' });
    const res = await move(order, 'customer', 'cancelled');
    expect(res.body.payment).toEqual({ method: 'cash', status: 'voided' });
    expect((await outboxEvent(order.id, 'order.cancelled'))?.payload.data).toMatchObject({
      reason: null,
      by: 'customer',
    });
  });
});

describe('concurrent status changes', () => {
  it('when ten confirmations race, then exactly one wins and the history records one', async () => {
    const order = await placedIn('pending');
    const results = await Promise.all(Array.from({ length: 10 }, () => move(order, 'restaurant_owner', 'confirmed')));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(9);
    const history = (await statusOf(order.id)).statusHistory as { status: string }[];
    expect(history.map((h) => h.status)).toEqual(['pending', 'confirmed']);
  });

  it('when a cancellation and a confirmation race, then exactly one of them happens', async () => {
    const order = await placedIn('pending');
    const [cancel, confirm] = await Promise.all([
      move(order, 'customer', 'cancelled'),
      move(order, 'restaurant_owner', 'confirmed'),
    ]);
    expect([cancel.status, confirm.status].sort()).toEqual([200, 409]);
    const final = await statusOf(order.id);
    expect(final.statusHistory).toHaveLength(2);
    expect(final.status).toBe(cancel.status === 200 ? 'cancelled' : 'confirmed');
  });
});

describe('who may see an order', () => {
  let order: Placed;
  beforeAll(async () => {
    order = await placedIn('pending');
  });

  it.each(['customer', 'restaurant_owner', 'driver', 'admin'] as const)(
    'when its %s reads it, then 200',
    async (actor) => {
      const res = await http('GET', `${svc.baseUrl}/api/orders/${order.id}`, { token: order.tokens[actor] });
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(order.id);
    },
  );

  it.each(['customer', 'restaurant_owner', 'driver'] as const)(
    'when another %s reads or changes it, then 404 as if it did not exist',
    async (role) => {
      const token = tokenFor(role);
      const read = await http('GET', `${svc.baseUrl}/api/orders/${order.id}`, { token });
      const change = await http('PUT', `${svc.baseUrl}/api/orders/${order.id}/status`, {
        token,
        body: { status: 'cancelled' },
      });
      expect([read.status, change.status]).toEqual([404, 404]);
      expect(read.body.error.code).toBe('NOT_FOUND');
      expect((await statusOf(order.id)).status).toBe('pending');
    },
  );

  it('when the order does not exist, then 404', async () => {
    const res = await http('GET', `${svc.baseUrl}/api/orders/${randomUUID()}`, { token: admin });
    expect(res.status).toBe(404);
  });

  it.each([
    ['an id that is not a UUID', 'not-a-uuid', { status: 'confirmed' }],
    ['an unknown status', randomUUID(), { status: 'eaten' }],
    ['an unknown field', randomUUID(), { status: 'confirmed', priority: 'high' }],
  ])('when the request has %s, then 400', async (_case, id, body) => {
    const res = await http('PUT', `${svc.baseUrl}/api/orders/${id}/status`, { token: admin, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when no token is given, then 401', async () => {
    expect((await http('GET', `${svc.baseUrl}/api/orders/${order.id}`)).status).toBe(401);
  });
});

describe('listing orders', () => {
  let shop: Restaurant;
  let alice: Customer;
  let bob: Customer;
  const listDriver = randomUUID();
  const ids: string[] = [];

  beforeAll(async () => {
    shop = await peers.addRestaurant();
    const elsewhere = await peers.addRestaurant();
    alice = await newCustomer(peers);
    bob = await newCustomer(peers);
    ids.push((await placeOrder(svc.baseUrl, alice, shop)).id);
    ids.push((await placeOrder(svc.baseUrl, alice, shop)).id);
    ids.push((await placeOrder(svc.baseUrl, bob, elsewhere)).id);
    const ownerToken = tokenFor('restaurant_owner', shop.ownerId);
    await http('PUT', `${svc.baseUrl}/api/orders/${ids[1]}/status`, {
      token: ownerToken,
      body: { status: 'confirmed' },
    });
    await publishDeliveryEvent(svc.broker, 'delivery.assigned', {
      deliveryId: randomUUID(),
      orderId: ids[2],
      driverId: listDriver,
    });
    await waitFor(ids[2] as string, (o) => o.driverId === listDriver);
  });

  const list = (token: string, query = '') => http('GET', `${svc.baseUrl}/api/orders${query}`, { token });
  const idsOf = (body: { data: { id: string }[] }) => body.data.map((o) => o.id);

  it('when a customer lists, then only their own orders come, newest first', async () => {
    const res = await list(alice.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ page: 1, pageSize: 20, total: 2 });
    expect(idsOf(res.body)).toEqual([ids[1], ids[0]]);
  });

  it("when an owner lists, then only their restaurants' orders come", async () => {
    const res = await list(tokenFor('restaurant_owner', shop.ownerId));
    expect(idsOf(res.body).sort()).toEqual([ids[0], ids[1]].sort());
  });

  it('when a driver lists, then only the orders assigned to them come', async () => {
    expect(idsOf((await list(tokenFor('driver', listDriver))).body)).toEqual([ids[2]]);
    expect((await list(tokenFor('driver'))).body).toMatchObject({ data: [], total: 0 });
  });

  it('when an admin lists, then every order comes', async () => {
    const res = await list(admin, '?pageSize=100');
    expect(res.body.total).toBeGreaterThanOrEqual(3);
    expect(idsOf(res.body)).toEqual(expect.arrayContaining(ids));
  });

  it('when filtered by status, then only that status comes', async () => {
    const res = await list(alice.token, '?status=confirmed');
    expect(idsOf(res.body)).toEqual([ids[1]]);
    expect(res.body.total).toBe(1);
  });

  it('when paged, then each page holds pageSize orders and total counts them all', async () => {
    const second = await list(alice.token, '?page=2&pageSize=1');
    expect(second.body).toMatchObject({ page: 2, pageSize: 1, total: 2 });
    expect(idsOf(second.body)).toEqual([ids[0]]);
    const beyond = await list(alice.token, '?page=3&pageSize=1');
    expect(beyond.body).toMatchObject({ data: [], total: 2 });
  });

  it.each(['?pageSize=101', '?page=0', '?status=eaten', '?sort=price'])('when the query is %s, then 400', async (q) => {
    expect((await list(alice.token, q)).status).toBe(400);
  });
});
