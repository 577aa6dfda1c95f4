import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, ORDERS_EXCHANGE, type OrderStatus } from '@foodflow/platform';
import { eventually, http, metricValue } from '@foodflow/platform/testing';
import { ADMIN_DATABASE_URL, TEST_DATABASE } from '../../../tests/setup/test-env.js';
import { DELIVERY_EVENTS_QUEUE } from '../src/delivery-events/delivery-events.consumer.js';
import {
  newCustomer,
  openTestChannel,
  orderIn,
  type OrderServiceUnderTest,
  PeerServices,
  placeOrder,
  publishDeliveryEvent,
  type Restaurant,
  startOrderService,
  tokenFor,
} from './support.js';

const peers = new PeerServices();
let svc: OrderServiceUnderTest;
let restaurant: Restaurant;
let amqp: Awaited<ReturnType<typeof openTestChannel>>;
const admin = tokenFor('admin');

beforeAll(async () => {
  await peers.start();
  svc = await startOrderService({ peers, consumerRetryDelaysMs: [300] });
  restaurant = await peers.addRestaurant();
  amqp = await openTestChannel();
});

afterAll(async () => {
  await amqp?.close();
  await svc?.close();
  await peers.stop();
});

const read = async (id: string) => (await http('GET', `${svc.baseUrl}/api/orders/${id}`, { token: admin })).body;

/** An order the owner has brought to `ready`, as the delivery service would see it before assigning a driver. */
async function readyOrder(payment?: Record<string, string>) {
  const created = await placeOrder(svc.baseUrl, await newCustomer(peers), restaurant, payment);
  const owner = tokenFor('restaurant_owner', restaurant.ownerId);
  for (const status of ['confirmed', 'preparing', 'ready']) {
    const res = await http('PUT', `${svc.baseUrl}/api/orders/${created.id}/status`, { token: owner, body: { status } });
    expect(res.status).toBe(200);
  }
  return {
    id: created.id as string,
    delivery: { deliveryId: randomUUID(), orderId: created.id as string, driverId: randomUUID() },
  };
}

const seen = async (eventId: string) => {
  const { rowCount } = await svc.db.query('SELECT 1 FROM inbox WHERE event_id = $1', [eventId]);
  return rowCount === 1 ? true : undefined;
};

const outboxFor = async (orderId: string, type: string) =>
  (
    await svc.db.query<{ payload: { data: Record<string, unknown> } }>(
      `SELECT payload FROM outbox WHERE payload->'data'->>'orderId' = $1 AND type = $2`,
      [orderId, type],
    )
  ).rows;

/** What the order tables hold, in a form that changes whenever anything is written to them. */
const writtenSoFar = async () =>
  (
    await svc.db.query(
      `SELECT (SELECT count(*) FROM orders) AS orders, (SELECT max(updated_at) FROM orders) AS "ordersChanged",
              (SELECT count(*) FROM payments) AS payments, (SELECT max(updated_at) FROM payments) AS "paymentsChanged",
              (SELECT count(*) FROM outbox) AS events`,
    )
  ).rows[0];

/**
 * Makes PostgreSQL refuse the commit of the first transaction that marks `eventId` consumed, as a lost
 * connection or a failing server would at that moment, and counts the commits tried. A sequence keeps the
 * count, since it survives the rollback.
 */
async function refuseFirstCommit(
  eventId: string,
): Promise<{ count: () => Promise<number>; remove: () => Promise<void> }> {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${TEST_DATABASE}`;
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  const name = `refuse_commit_${randomUUID().replaceAll('-', '')}`;
  await admin.query(`CREATE SEQUENCE orders.${name}`);
  await admin.query(`GRANT USAGE ON SEQUENCE orders.${name} TO orders_service`);
  await admin.query(`CREATE FUNCTION orders.${name}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF nextval('orders.${name}') = 1 THEN RAISE EXCEPTION 'commit refused'; END IF;
      RETURN NULL;
    END $$`);
  await admin.query(`CREATE CONSTRAINT TRIGGER ${name} AFTER INSERT ON orders.inbox DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.event_id = '${eventId}') EXECUTE FUNCTION orders.${name}()`);
  return {
    count: async () => (await admin.query<{ n: number }>(`SELECT last_value AS n FROM orders.${name}`)).rows[0]?.n ?? 0,
    remove: async () => {
      await admin.query(`DROP TRIGGER ${name} ON orders.inbox`);
      await admin.query(`DROP FUNCTION orders.${name}()`);
      await admin.query(`DROP SEQUENCE orders.${name}`);
      await admin.end();
    },
  };
}

/** Takes every message parked in the consumer's dead-letter queue and returns their message ids. */
async function drainDeadLetters(): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const msg = await amqp.channel.get(`${DELIVERY_EVENTS_QUEUE}.dlq`);
    if (!msg) return ids;
    ids.push(String(msg.properties.messageId));
    amqp.channel.ack(msg);
  }
}

describe('delivery events', () => {
  it('when a driver is assigned, then the driver can list and read the order', async () => {
    const order = await readyOrder();
    const driver = tokenFor('driver', order.delivery.driverId);
    expect((await http('GET', `${svc.baseUrl}/api/orders/${order.id}`, { token: driver })).status).toBe(404);

    await publishDeliveryEvent(svc.broker, 'delivery.assigned', order.delivery);

    await eventually(async () => ((await read(order.id)).driverId === order.delivery.driverId ? true : undefined));
    expect((await http('GET', `${svc.baseUrl}/api/orders/${order.id}`, { token: driver })).status).toBe(200);
    const listed = await http('GET', `${svc.baseUrl}/api/orders`, { token: driver });
    expect(listed.body.data.map((o: { id: string }) => o.id)).toEqual([order.id]);
  });

  it('when the order is picked up and delivered, then it moves, the card is captured and both steps are announced', async () => {
    const order = await readyOrder();
    await publishDeliveryEvent(svc.broker, 'delivery.assigned', order.delivery);
    await publishDeliveryEvent(svc.broker, 'delivery.picked_up', order.delivery);
    await eventually(async () => ((await read(order.id)).status === 'picked_up' ? true : undefined));
    await publishDeliveryEvent(svc.broker, 'delivery.delivered', order.delivery);
    await eventually(async () => ((await read(order.id)).status === 'delivered' ? true : undefined));

    const final = await read(order.id);
    expect(final.payment).toEqual({ method: 'card', status: 'captured' });
    expect(final.statusHistory.slice(-2)).toEqual([
      { status: 'picked_up', at: expect.any(String), by: 'driver' },
      { status: 'delivered', at: expect.any(String), by: 'driver' },
    ]);
    expect(svc.payments.ledger().filter((c) => c.state === 'captured').length).toBeGreaterThan(0);
    for (const type of ['order.picked_up', 'order.delivered']) {
      const rows = await outboxFor(order.id, type);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.payload.data).toEqual({
        orderId: order.id,
        customerId: final.customerId,
        restaurantId: restaurant.restaurantId,
        restaurantOwnerId: restaurant.ownerId,
        driverId: order.delivery.driverId,
      });
    }
  });

  it('when a cash order is delivered, then its payment counts as captured', async () => {
    const order = await readyOrder({ method: 'cash' });
    await publishDeliveryEvent(svc.broker, 'delivery.picked_up', order.delivery);
    await eventually(async () => ((await read(order.id)).status === 'picked_up' ? true : undefined));
    await publishDeliveryEvent(svc.broker, 'delivery.delivered', order.delivery);
    await eventually(async () => ((await read(order.id)).status === 'delivered' ? true : undefined));
    expect((await read(order.id)).payment).toEqual({ method: 'cash', status: 'captured' });
  });

  it('when the same event is delivered twice, then it is applied once', async () => {
    const order = await readyOrder();
    const event = createEvent('delivery.picked_up', order.delivery, randomUUID());

    await svc.broker.publish(event);
    await svc.broker.publish(event);

    await eventually(async () => ((await read(order.id)).status === 'picked_up' ? true : undefined));
    await eventually(async () => {
      const metrics = (await http('GET', `${svc.baseUrl}/metrics`)).body as string;
      return /events_consumed_total\{[^}]*type="delivery.picked_up"[^}]*outcome="duplicate"[^}]*\} [1-9]/.test(metrics)
        ? true
        : undefined;
    });
    const history = (await read(order.id)).statusHistory as { status: string }[];
    expect(history.filter((h) => h.status === 'picked_up')).toHaveLength(1);
    expect(await outboxFor(order.id, 'order.picked_up')).toHaveLength(1);
  });

  it('when a message is not JSON or its data breaks the contract, then it is parked and later events still flow', async () => {
    await drainDeadLetters();
    const order = await readyOrder();
    const garbageId = randomUUID();
    amqp.channel.publish(ORDERS_EXCHANGE, 'delivery.picked_up', Buffer.from('{not json'), {
      messageId: garbageId,
      persistent: true,
    });
    const invalid = createEvent('delivery.picked_up', { deliveryId: 'd-1', orderId: order.id, driverId: 42 }, null);
    await svc.broker.publish(invalid);
    await publishDeliveryEvent(svc.broker, 'delivery.picked_up', order.delivery);

    await eventually(async () => ((await read(order.id)).status === 'picked_up' ? true : undefined));
    const parked: string[] = [];
    await eventually(async () => {
      parked.push(...(await drainDeadLetters()));
      return parked.includes(garbageId) && parked.includes(invalid.id) ? true : undefined;
    });
    expect(await seen(invalid.id)).toBeUndefined();
  });

  it('when delivered arrives before picked up, then it is retried and both steps apply in order', async () => {
    const order = await readyOrder();
    const retried = async () =>
      metricValue((await http('GET', `${svc.baseUrl}/metrics`)).body, 'events_consumed_total', {
        queue: DELIVERY_EVENTS_QUEUE,
        type: 'delivery.delivered',
        outcome: 'retried',
      });
    const before = await retried();
    await publishDeliveryEvent(svc.broker, 'delivery.delivered', order.delivery);
    // Picked up is published only once delivered has been tried, refused and sent to wait for a retry.
    await eventually(async () => ((await retried()) > before ? true : undefined));
    await publishDeliveryEvent(svc.broker, 'delivery.picked_up', order.delivery);

    await eventually(async () => ((await read(order.id)).status === 'delivered' ? true : undefined));
    const history = (await read(order.id)).statusHistory as { status: string }[];
    expect(history.map((h) => h.status)).toEqual([
      'pending',
      'confirmed',
      'preparing',
      'ready',
      'picked_up',
      'delivered',
    ]);
  });

  it('when a step arrives for a cancelled order, then it is acknowledged and the order stays cancelled', async () => {
    const order = await readyOrder();
    const cancel = await http('PUT', `${svc.baseUrl}/api/orders/${order.id}/status`, {
      token: admin,
      body: { status: 'cancelled' },
    });
    expect(cancel.status).toBe(200);

    const event = await publishDeliveryEvent(svc.broker, 'delivery.picked_up', order.delivery);

    await eventually(() => seen(event.id));
    const final = await read(order.id);
    expect(final.status).toBe('cancelled');
    expect(final.payment.status).toBe('voided');
    expect(await outboxFor(order.id, 'order.picked_up')).toHaveLength(0);
  });

  it('when an event names an order this service does not know, then it is acknowledged and nothing is written, published or parked', async () => {
    await drainDeadLetters();
    const before = await writtenSoFar();

    const event = await publishDeliveryEvent(svc.broker, 'delivery.delivered', {
      deliveryId: randomUUID(),
      orderId: randomUUID(),
      driverId: randomUUID(),
    });

    await eventually(() => seen(event.id));
    expect(await writtenSoFar()).toEqual(before);
    expect(await drainDeadLetters()).not.toContain(event.id);
  });

  it('when the commit of an applied step fails and the event is retried, then the status-change metric counts the step once', async () => {
    const order = await readyOrder();
    const event = createEvent('delivery.picked_up', order.delivery, randomUUID());
    const counted = async () =>
      metricValue((await http('GET', `${svc.baseUrl}/metrics`)).body, 'order_status_changes_total', {
        status: 'picked_up',
        by: 'driver',
      });
    const before = await counted();
    const refusals = await refuseFirstCommit(event.id);
    try {
      await svc.broker.publish(event);

      await eventually(() => seen(event.id));
      expect(await refusals.count()).toBe(2);
      expect((await read(order.id)).status).toBe('picked_up');
      expect((await counted()) - before).toBe(1);
    } finally {
      await refusals.remove();
    }
  });
});

describe('delivery events against every order status', () => {
  type Step = 'delivery.assigned' | 'delivery.picked_up' | 'delivery.delivered';
  type Outcome = { moves: OrderStatus; announces: string } | 'nothing' | 'retried, then parked';
  const STATUSES: OrderStatus[] = ['pending', 'confirmed', 'preparing', 'ready', 'picked_up', 'delivered', 'cancelled'];
  const nothing = Object.fromEntries(STATUSES.map((status) => [status, 'nothing'])) as Record<OrderStatus, Outcome>;

  /**
   * What the contract says each event does to the order's status and events, written out independently of
   * the service: only `picked_up` on a ready order and `delivered` on a picked-up one move it, and
   * `delivered` before `picked_up` waits (retried with backoff, parked when `picked_up` never comes).
   */
  const OUTCOMES: Record<Step, Record<OrderStatus, Outcome>> = {
    'delivery.assigned': nothing,
    'delivery.picked_up': { ...nothing, ready: { moves: 'picked_up', announces: 'order.picked_up' } },
    'delivery.delivered': {
      ...nothing,
      ready: 'retried, then parked',
      picked_up: { moves: 'delivered', announces: 'order.delivered' },
    },
  };
  /** `delivery.assigned` records the driver on orders still under way; finished ones keep theirs. */
  const TAKES_A_DRIVER: OrderStatus[] = ['pending', 'confirmed', 'preparing', 'ready', 'picked_up'];

  const outboxTypes = async (orderId: string) =>
    (
      await svc.db.query<{ type: string }>(
        `SELECT type FROM outbox WHERE payload->'data'->>'orderId' = $1 ORDER BY seq`,
        [orderId],
      )
    ).rows.map((r) => r.type);

  const cases = (Object.keys(OUTCOMES) as Step[]).flatMap((step) =>
    STATUSES.map((from) => {
      const outcome = OUTCOMES[step][from];
      const driver = step === 'delivery.assigned' && TAKES_A_DRIVER.includes(from) ? ', the driver recorded' : '';
      const result =
        typeof outcome === 'object'
          ? `it moves to ${outcome.moves} and announces ${outcome.announces}`
          : `its status and events stay as they were${driver}${outcome === 'nothing' ? '' : ', and the event is retried, then parked'}`;
      return [step, from, result, outcome] as const;
    }),
  );

  it.each(cases)('when %s arrives for a %s order, then %s', async (step, from, _result, outcome) => {
    const order = await orderIn(svc, peers, restaurant, from);
    const before = await read(order.id);
    const eventsBefore = await outboxTypes(order.id);
    // A new assignment names another driver, so recording it shows; the steps come from the order's own delivery.
    const delivery =
      step === 'delivery.assigned'
        ? { ...order.delivery, deliveryId: randomUUID(), driverId: randomUUID() }
        : order.delivery;
    await drainDeadLetters();

    const event = await publishDeliveryEvent(svc.broker, step, delivery);

    if (outcome === 'retried, then parked') {
      const parked: string[] = [];
      await eventually(async () => {
        parked.push(...(await drainDeadLetters()));
        return parked.includes(event.id) ? true : undefined;
      });
    } else {
      await eventually(() => seen(event.id));
    }
    const after = await read(order.id);
    if (typeof outcome === 'object') {
      expect(after.status).toBe(outcome.moves);
      expect(await outboxTypes(order.id)).toEqual([...eventsBefore, outcome.announces]);
    } else {
      expect([after.status, after.statusHistory]).toEqual([from, before.statusHistory]);
      expect(await outboxTypes(order.id)).toEqual(eventsBefore);
    }
    const recorded = step === 'delivery.assigned' && TAKES_A_DRIVER.includes(from);
    expect(after.driverId).toBe(recorded ? delivery.driverId : before.driverId);
  });
});
