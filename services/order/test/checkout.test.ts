import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@foodflow/platform/testing';
import { fingerprint } from '../src/idempotency/idempotency.js';
import { leaseKey } from '../src/idempotency/idempotency-lease.js';
import { checkoutFingerprintParts } from '../src/orders/order.schemas.js';
import {
  type Customer,
  deadUrl,
  newCustomer,
  type OrderServiceUnderTest,
  PeerServices,
  type Restaurant,
  sampleAddress,
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

async function fillCart(customer: Customer, restaurant: Restaurant, quantities = [1, 2]): Promise<void> {
  for (const [index, quantity] of quantities.entries()) {
    const res = await http('POST', `${svc.baseUrl}/api/cart/items`, {
      token: customer.token,
      body: { menuItemId: restaurant.items[index]?.id, quantity },
    });
    expect(res.status).toBe(200);
  }
}

const checkout = (
  customer: Customer,
  body: Record<string, unknown> = { addressId: customer.addressId, payment: { method: 'card', cardToken: 'tok_visa' } },
  key: string | null = randomUUID(),
  baseUrl = svc.baseUrl,
) =>
  http('POST', `${baseUrl}/api/orders`, {
    token: customer.token,
    body,
    headers: key === null ? {} : { 'Idempotency-Key': key },
  });

const cartOf = (customer: Customer) => http('GET', `${svc.baseUrl}/api/cart`, { token: customer.token });

/** Everything a checkout could have written for this customer. */
async function writtenFor(customerId: string) {
  const count = async (sql: string) => (await svc.db.query<{ n: number }>(sql, [customerId])).rows[0]?.n;
  return {
    orders: await count('SELECT count(*) AS n FROM orders WHERE customer_id = $1'),
    payments: await count(
      'SELECT count(*) AS n FROM payments p JOIN orders o ON o.id = p.order_id WHERE o.customer_id = $1',
    ),
    events: await count(`SELECT count(*) AS n FROM outbox WHERE payload->'data'->>'customerId' = $1::text`),
    keys: await count('SELECT count(*) AS n FROM idempotency_keys WHERE user_id = $1'),
  };
}

describe('checkout', () => {
  it('when a customer checks out with a card, then a pending order is created with an authorized payment and the cart is emptied', async () => {
    const restaurant = await peers.addRestaurant({ deliveryFeeCents: 299 });
    const customer = await newCustomer(peers);
    await fillCart(customer, restaurant, [1, 2]);

    const res = await http('POST', `${svc.baseUrl}/api/orders`, {
      token: customer.token,
      headers: { 'Idempotency-Key': randomUUID(), 'X-Request-ID': 'checkout-req-1' },
      body: { addressId: customer.addressId, payment: { method: 'card', cardToken: 'tok_visa' }, notes: 'Ring twice' },
    });

    expect(res.status).toBe(201);
    const order = res.body;
    expect(order).toEqual({
      id: expect.any(String),
      customerId: customer.id,
      restaurantId: restaurant.restaurantId,
      driverId: null,
      status: 'pending',
      items: [
        {
          menuItemId: restaurant.items[0].id,
          name: 'Margherita',
          unitPriceCents: 900,
          quantity: 1,
          lineTotalCents: 900,
        },
        {
          menuItemId: restaurant.items[1].id,
          name: 'Tiramisu',
          unitPriceCents: 550,
          quantity: 2,
          lineTotalCents: 1100,
        },
      ],
      subtotalCents: 2000,
      deliveryFeeCents: 299,
      totalCents: 2299,
      currency: 'USD',
      deliveryAddress: sampleAddress(),
      payment: { method: 'card', status: 'authorized' },
      notes: 'Ring twice',
      statusHistory: [{ status: 'pending', at: expect.any(String), by: 'customer' }],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await cartOf(customer)).body.items).toEqual([]);
    const payment = await svc.db.query<{ provider_reference: string }>(
      'SELECT provider_reference FROM payments WHERE order_id = $1',
      [order.id],
    );
    expect(svc.payments.ledger().find((c) => c.reference === payment.rows[0]?.provider_reference)).toMatchObject({
      amountCents: 2299,
      currency: 'USD',
      state: 'authorized',
    });

    const { rows } = await svc.db.query(`SELECT payload FROM outbox WHERE payload->'data'->>'orderId' = $1`, [
      order.id,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.payload).toEqual({
      id: expect.any(String),
      type: 'order.created',
      version: 1,
      occurredAt: expect.any(String),
      correlationId: 'checkout-req-1',
      data: {
        orderId: order.id,
        customerId: customer.id,
        restaurantId: restaurant.restaurantId,
        restaurantOwnerId: restaurant.ownerId,
        items: order.items,
        totalCents: 2299,
        currency: 'USD',
        deliveryAddress: order.deliveryAddress,
      },
    });
  });

  it('when a customer pays cash, then the payment is pending', async () => {
    const restaurant = await peers.addRestaurant();
    const customer = await newCustomer(peers);
    await fillCart(customer, restaurant);

    const res = await checkout(customer, { addressId: customer.addressId, payment: { method: 'cash' } });

    expect(res.status).toBe(201);
    expect(res.body.payment).toEqual({ method: 'cash', status: 'pending' });
  });

  it('when prices changed since the items were added, then the order uses the current prices', async () => {
    const restaurant = await peers.addRestaurant();
    const customer = await newCustomer(peers);
    await fillCart(customer, restaurant, [2]);
    const pizza = restaurant.items[0];
    await peers.changeItem(restaurant, pizza, { priceCents: 1200 });

    const res = await checkout(customer);

    expect(res.body.items[0]).toMatchObject({ unitPriceCents: 1200, lineTotalCents: 2400 });
    expect(res.body.subtotalCents).toBe(2400);
  });

  describe('Idempotency-Key', () => {
    it.each([
      ['missing', null],
      ['empty', ''],
      ['over 255 characters', 'k'.repeat(256)],
      ['containing spaces', 'two words'],
    ])('when it is %s, then 400 and nothing is written', async (_case, key) => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);

      const res = await checkout(customer, undefined, key);

      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(await writtenFor(customer.id)).toEqual({ orders: 0, payments: 0, events: 0, keys: 0 });
    });

    it('when a request is retried with the same key and body, then the first response is replayed and one order exists', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();

      const first = await checkout(customer, undefined, key);
      await fillCart(customer, restaurant);
      const second = await checkout(customer, undefined, key);

      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(await writtenFor(customer.id)).toMatchObject({ orders: 1, payments: 1, events: 1 });
    });

    it('when the same key comes with another body, then 422 IDEMPOTENCY_KEY_REUSED', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      await checkout(customer, undefined, key);

      const res = await checkout(customer, { addressId: customer.addressId, payment: { method: 'cash' } }, key);

      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('when another customer uses the same key, then it is theirs alone and makes their own order', async () => {
      const restaurant = await peers.addRestaurant();
      const alice = await newCustomer(peers);
      const bob = await newCustomer(peers);
      await fillCart(alice, restaurant);
      await fillCart(bob, restaurant);
      const key = randomUUID();

      const a = await checkout(alice, undefined, key);
      const b = await checkout(bob, undefined, key);

      expect([a.status, b.status]).toEqual([201, 201]);
      expect(b.body.id).not.toBe(a.body.id);
      expect(b.body.customerId).toBe(bob.id);
    });

    it('when a key is older than 24 hours, then it counts as unused: a new order is made and its answer replaces the old one', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      const first = await checkout(customer, undefined, key);
      await svc.db.query(
        `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE user_id = $1 AND key = $2`,
        [customer.id, key],
      );
      await fillCart(customer, restaurant);

      const second = await checkout(customer, undefined, key);
      const replay = await checkout(customer, undefined, key);

      expect(second.status).toBe(201);
      expect(second.body.id).not.toBe(first.body.id);
      expect(replay.body.id).toBe(second.body.id);
      expect(await writtenFor(customer.id)).toEqual({ orders: 2, payments: 2, events: 2, keys: 1 });
    });

    it('when a request with the key is still running, then the same body gets 409 IDEMPOTENCY_IN_PROGRESS with Retry-After and another body 422', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      const held = svc.payments.holdNextAuthorization();
      const running = checkout(customer, undefined, key);
      await held.reached;

      let same;
      let other;
      try {
        same = await checkout(customer, undefined, key);
        other = await checkout(customer, { addressId: customer.addressId, payment: { method: 'cash' } }, key);
      } finally {
        held.release();
      }
      const first = await running;

      expect(same.status).toBe(409);
      expect(same.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      expect(same.headers.get('retry-after')).toBe('1');
      expect(other.status).toBe(422);
      expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(first.status).toBe(201);
      const after = await checkout(customer, undefined, key);
      expect([after.status, after.body]).toEqual([201, first.body]);
      expect(await writtenFor(customer.id)).toEqual({ orders: 1, payments: 1, events: 1, keys: 1 });
    });

    it("when a finished request's lease was left behind, then a retry with the same body replays its 201 and body and one with another body gets 422", async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      const lease = leaseKey({ userId: customer.id, key });
      const held = svc.payments.holdNextAuthorization();
      const running = checkout(customer, undefined, key);
      await held.reached;
      let holder;
      try {
        holder = await svc.redis.get(lease);
      } finally {
        held.release();
      }
      const first = await running;
      if (holder === null) throw new Error('The running checkout held no lease');
      // What a holder whose release never reached Redis leaves behind: its own lease, still running.
      await svc.redis.set(lease, holder, 'PX', 60_000);

      const same = await checkout(customer, undefined, key);
      const other = await checkout(customer, { addressId: customer.addressId, payment: { method: 'cash' } }, key);

      expect(first.status).toBe(201);
      expect([same.status, same.body]).toEqual([201, first.body]);
      expect(other.status).toBe(422);
      expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await svc.redis.get(lease)).toBe(holder);
      expect(await writtenFor(customer.id)).toEqual({ orders: 1, payments: 1, events: 1, keys: 1 });
    });

    it("when a request's lease lapses and a retry answers the key meanwhile, then the first writes nothing, voids its hold and answers with the retry's response", async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      const ledgerBefore = svc.payments.ledger().length;
      const held = svc.payments.holdNextAuthorization();
      const stalled = checkout(customer, undefined, key);
      await held.reached;

      let retry;
      try {
        await svc.redis.del(leaseKey({ userId: customer.id, key }));
        retry = await checkout(customer, undefined, key);
      } finally {
        held.release();
      }
      const first = await stalled;

      expect(retry.status).toBe(201);
      expect([first.status, first.body]).toEqual([201, retry.body]);
      expect(await writtenFor(customer.id)).toEqual({ orders: 1, payments: 1, events: 1, keys: 1 });
      const { rows } = await svc.db.query<{ provider_reference: string }>(
        'SELECT provider_reference FROM payments WHERE order_id = $1',
        [retry.body.id],
      );
      const authorizations = svc.payments.ledger().slice(ledgerBefore);
      expect(authorizations).toHaveLength(2);
      expect(authorizations.find((c) => c.reference === rows[0]?.provider_reference)?.state).toBe('authorized');
      expect(authorizations.filter((c) => c.reference !== rows[0]?.provider_reference).map((c) => c.state)).toEqual([
        'voided',
      ]);
    });

    it('when 50 requests with one key arrive at once, then exactly one order and one payment are made', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      const ledgerBefore = svc.payments.ledger().length;

      const responses = await Promise.all(Array.from({ length: 50 }, () => checkout(customer, undefined, key)));

      const created = responses.filter((r) => r.status === 201);
      const inProgress = responses.filter((r) => r.status === 409);
      expect(created.length + inProgress.length).toBe(50);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
      for (const r of inProgress) expect(r.body.error.code).toBe('IDEMPOTENCY_IN_PROGRESS');
      expect(await writtenFor(customer.id)).toEqual({ orders: 1, payments: 1, events: 1, keys: 1 });
      expect(svc.payments.ledger().slice(ledgerBefore)).toEqual([expect.objectContaining({ state: 'authorized' })]);
    });
  });

  // Until the next release drops the earlier design's columns, instances of it may run beside this one during
  // an upgrade (migration idempotency_answers_expand). These are that release's statements, as it sends them.
  describe('beside instances of the earlier release', () => {
    const earlierClaim = (customer: Customer, key: string, requestHash: string) =>
      svc.db.query<{ claim_token: string }>(
        `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, key) DO UPDATE
            SET request_hash = EXCLUDED.request_hash, claim_token = gen_random_uuid(), state = 'in_progress',
                response_status = NULL, response_body = NULL, created_at = now()
          WHERE idempotency_keys.created_at < now() - make_interval(hours => 24)
             OR (idempotency_keys.state = 'in_progress'
                 AND idempotency_keys.updated_at < now() - make_interval(secs => 60))
         RETURNING claim_token`,
        [customer.id, key, requestHash],
      );
    const earlierFind = (customer: Customer, key: string) =>
      svc.db.query(
        'SELECT request_hash, state, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2',
        [customer.id, key],
      );
    const earlierComplete = (customer: Customer, key: string, claimToken: string, status: number, body: unknown) =>
      svc.db.query(
        `UPDATE idempotency_keys SET state = 'completed', response_status = $4, response_body = $5
          WHERE user_id = $1 AND key = $2 AND claim_token = $3 AND state = 'in_progress'`,
        [customer.id, key, claimToken, status, JSON.stringify(body)],
      );
    const cardBody = (customer: Customer) => ({
      addressId: customer.addressId,
      payment: { method: 'card' as const, cardToken: 'tok_visa' },
    });

    it('when this release answers a key, then the earlier release finds it completed and claims nothing', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      const requestHash = fingerprint(checkoutFingerprintParts(cardBody(customer)));

      const res = await checkout(customer, cardBody(customer), key);
      const claim = await earlierClaim(customer, key, requestHash);

      expect(res.status).toBe(201);
      expect(claim.rows).toEqual([]);
      expect((await earlierFind(customer, key)).rows).toEqual([
        { request_hash: requestHash, state: 'completed', response_status: 201, response_body: res.body },
      ]);
    });

    it('when the earlier release claims and answers a key, then this release replays that answer', async () => {
      const customer = await newCustomer(peers);
      const key = randomUUID();
      const requestHash = fingerprint(checkoutFingerprintParts(cardBody(customer)));
      const answer = { error: { code: 'PAYMENT_DECLINED', message: 'The payment was declined' } };

      const [claim] = (await earlierClaim(customer, key, requestHash)).rows;
      if (!claim) throw new Error('The earlier release could not claim a new key');
      const completed = await earlierComplete(customer, key, claim.claim_token, 402, answer);
      const replay = await checkout(customer, cardBody(customer), key);

      expect(completed.rowCount).toBe(1);
      expect([replay.status, replay.body]).toEqual([402, answer]);
    });

    it('when the earlier release holds a claim that has no answer, then this release makes the one order and that claim completes nothing', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      const requestHash = fingerprint(checkoutFingerprintParts(cardBody(customer)));
      const [claim] = (await earlierClaim(customer, key, requestHash)).rows;
      if (!claim) throw new Error('The earlier release could not claim a new key');

      const res = await checkout(customer, cardBody(customer), key);
      const completed = await earlierComplete(customer, key, claim.claim_token, 201, { id: randomUUID() });

      expect(res.status).toBe(201);
      expect(completed.rowCount).toBe(0);
      expect((await earlierFind(customer, key)).rows).toEqual([
        { request_hash: requestHash, state: 'completed', response_status: 201, response_body: res.body },
      ]);
      expect(await writtenFor(customer.id)).toEqual({ orders: 1, payments: 1, events: 1, keys: 1 });
    });
  });

  describe('payment', () => {
    it('when the card is declined, then 402 PAYMENT_DECLINED, no order, the cart is kept, and a retry replays the 402', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      const body = { addressId: customer.addressId, payment: { method: 'card', cardToken: 'tok_chargeDeclined' } };

      const res = await checkout(customer, body, key);

      expect(res.status).toBe(402);
      expect(res.body.error.code).toBe('PAYMENT_DECLINED');
      expect(await writtenFor(customer.id)).toEqual({ orders: 0, payments: 0, events: 0, keys: 1 });
      expect((await cartOf(customer)).body.items).toHaveLength(2);
      const replay = await checkout(customer, body, key);
      expect(replay.status).toBe(402);
      expect(replay.body).toEqual(res.body);
    });

    it.each([
      ['an unknown method', { method: 'bitcoin' }],
      ['a card without a token', { method: 'card' }],
      ['cash with a card token', { method: 'cash', cardToken: 'tok_visa' }],
    ])('when the payment has %s, then 400', async (_case, payment) => {
      const customer = await newCustomer(peers);
      const res = await checkout(customer, { addressId: customer.addressId, payment });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('checks against the restaurant', () => {
    it('when the cart is empty, then 409 CART_EMPTY', async () => {
      const customer = await newCustomer(peers);
      const res = await checkout(customer);
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('CART_EMPTY');
      expect(await writtenFor(customer.id)).toMatchObject({ orders: 0, payments: 0, events: 0 });
    });

    it.each([
      ['closed at this hour', { openingHours: [] }],
      ['not accepting orders', { isAcceptingOrders: false }],
    ])('when the restaurant is %s, then 409 RESTAURANT_CLOSED and the cart is kept', async (_case, change) => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      await peers.changeRestaurant(restaurant, change);

      const res = await checkout(customer);

      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('RESTAURANT_CLOSED');
      expect(await writtenFor(customer.id)).toMatchObject({ orders: 0, payments: 0, events: 0 });
      expect((await cartOf(customer)).body.items).toHaveLength(2);
    });

    it('when an item became unavailable, then 409 ITEM_UNAVAILABLE naming it', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const dessert = restaurant.items[1];
      await peers.changeItem(restaurant, dessert, { isAvailable: false });

      const res = await checkout(customer);

      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('ITEM_UNAVAILABLE');
      expect(res.body.error.details).toEqual([{ path: `items.${dessert.id}`, message: 'Tiramisu is not available' }]);
    });

    it('when an item was deleted from the menu, then 409 ITEM_UNAVAILABLE', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const dessert = restaurant.items[1];
      await peers.deleteItem(restaurant, dessert);

      const res = await checkout(customer);

      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('ITEM_UNAVAILABLE');
    });

    it('when the subtotal is below the minimum order, then 409 BELOW_MINIMUM_ORDER', async () => {
      const restaurant = await peers.addRestaurant({ minOrderCents: 5000 });
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant, [1]);

      const res = await checkout(customer);

      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('BELOW_MINIMUM_ORDER');
      expect(await writtenFor(customer.id)).toMatchObject({ orders: 0, payments: 0, events: 0 });
    });

    it('when the restaurant service is down, then 503, nothing is written, and a retry with the same key succeeds once it is back', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const key = randomUUID();
      const authorizations = svc.payments.ledger().length;
      await peers.stopRestaurantService();
      try {
        const res = await checkout(customer, undefined, key);
        expect(res.status).toBe(503);
        expect(res.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
        expect(await writtenFor(customer.id)).toEqual({ orders: 0, payments: 0, events: 0, keys: 0 });
        expect(svc.payments.ledger()).toHaveLength(authorizations);
        expect((await cartOf(customer)).body.items).toHaveLength(2);
      } finally {
        await peers.startRestaurantService();
      }

      const retry = await checkout(customer, undefined, key);
      expect(retry.status).toBe(201);
      expect(await writtenFor(customer.id)).toEqual({ orders: 1, payments: 1, events: 1, keys: 1 });
    });

    it('when the restaurant service keeps failing, then the circuit opens and later calls no longer reach it', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      // An instance of its own, so the circuit this test opens is not the one the other tests go through.
      const cut = await startOrderService({ peers, env: { PEER_BREAKER_RESET_MS: '60000' } });
      try {
        await peers.stopRestaurantService();
        const statuses = [];
        try {
          for (let i = 0; i < 10; i += 1)
            statuses.push((await checkout(customer, undefined, randomUUID(), cut.baseUrl)).status);
        } finally {
          await peers.startRestaurantService();
        }
        expect(statuses).toEqual(Array(10).fill(503));
        // Filling the cart was priced, so the count is live: unchanged below means no call arrived.
        const callsBefore = await peers.pricingCalls();
        expect(callsBefore).toBeGreaterThan(0);

        const whileOpen = await checkout(customer, undefined, randomUUID(), cut.baseUrl);

        expect(whileOpen.status).toBe(503);
        expect(await peers.pricingCalls()).toBe(callsBefore);
        expect((await checkout(customer)).status).toBe(201);
      } finally {
        await cut.close();
      }
    });
  });

  describe('delivery address', () => {
    it('when the address is not one of the customer saved, then 404 and nothing is written', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      const other = await newCustomer(peers);
      await fillCart(customer, restaurant);

      const res = await checkout(customer, { addressId: other.addressId, payment: { method: 'cash' } });

      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
      expect(await writtenFor(customer.id)).toMatchObject({ orders: 0, payments: 0, events: 0 });
    });

    it('when the user service is down, then 503', async () => {
      const restaurant = await peers.addRestaurant();
      const customer = await newCustomer(peers);
      await fillCart(customer, restaurant);
      const cut = await startOrderService({ peers, env: { USER_SERVICE_URL: await deadUrl() } });
      try {
        const res = await checkout(customer, undefined, randomUUID(), cut.baseUrl);
        expect(res.status).toBe(503);
        expect(await writtenFor(customer.id)).toEqual({ orders: 0, payments: 0, events: 0, keys: 0 });
      } finally {
        await cut.close();
      }
    });
  });

  it.each([
    ['an unknown field', { extra: true }],
    ['an address id that is not a UUID', { addressId: 'home' }],
    ['notes over 500 characters', { notes: 'x'.repeat(501) }],
  ])('when the body has %s, then 400', async (_case, change) => {
    const customer = await newCustomer(peers);
    const res = await checkout(customer, { addressId: customer.addressId, payment: { method: 'cash' }, ...change });
    expect(res.status).toBe(400);
  });

  it.each(['restaurant_owner', 'driver', 'admin'] as const)('when a %s checks out, then 403', async (role) => {
    const res = await http('POST', `${svc.baseUrl}/api/orders`, {
      token: tokenFor(role),
      headers: { 'Idempotency-Key': randomUUID() },
      body: { addressId: randomUUID(), payment: { method: 'cash' } },
    });
    expect(res.status).toBe(403);
  });
});
