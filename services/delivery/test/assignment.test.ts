import { randomUUID } from 'node:crypto';
import { eventually } from '@foodflow/platform/testing';
import type amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eastOf, type Instance, orderRef, uniqueArea, sleep, startInstance, user, World } from './support.js';

let a: Instance;
let b: Instance;
let world: World;
const DLQ = 'delivery_queue.dlq';

beforeAll(async () => {
  [a, b] = await Promise.all([startInstance(), startInstance()]);
  world = await new World().open();
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await world?.close();
});

const settled = (orderId: string, status: string) =>
  eventually(async () => {
    const delivery = await world.delivery(orderId);
    return delivery?.status === status ? delivery : undefined;
  });

describe('driver assignment', () => {
  it('when an order is ready, then the nearest online driver without a delivery gets it', async () => {
    const area = await uniqueArea();
    const near = user('driver', 'Near');
    const far = user('driver', 'Far');
    await world.goOnline(a.baseUrl, far, eastOf(area, 8));
    await world.goOnline(a.baseUrl, near, eastOf(area, 1));

    const order = await world.readyOrder(area);

    const delivery = await settled(order.orderId, 'assigned');
    expect(delivery.driver_id).toBe(near.id);
    const { rows } = await world.db.query('SELECT driver_first_name FROM deliveries WHERE order_id = $1', [
      order.orderId,
    ]);
    expect(rows[0]?.driver_first_name).toBe('Near');
  });

  it('when no driver is free, then the delivery waits and goes, oldest first, to the next driver online', async () => {
    const area = await uniqueArea();
    const first = await world.readyOrder(area);
    await settled(first.orderId, 'awaiting_driver');
    const second = await world.readyOrder(eastOf(area, 0.5));
    await settled(second.orderId, 'awaiting_driver');

    const driver = user('driver');
    await world.goOnline(b.baseUrl, driver, eastOf(area, 3));

    const assigned = await settled(first.orderId, 'assigned');
    expect(assigned.driver_id).toBe(driver.id);
    expect((await world.delivery(second.orderId))?.status).toBe('awaiting_driver');
  });

  it('when a driver has been silent for ten minutes, then they are not assigned', async () => {
    const area = await uniqueArea();
    const silent = user('driver');
    await world.goOnline(a.baseUrl, silent, eastOf(area, 1));
    await world.redis.zadd('delivery:drivers:seen', Date.now() - 11 * 60_000, silent.id);

    const order = await world.readyOrder(area);
    await settled(order.orderId, 'awaiting_driver');
    await sleep(1200); // two sweeps
    expect((await world.delivery(order.orderId))?.status).toBe('awaiting_driver');
  });

  it('when a driver goes offline, then they are not assigned', async () => {
    const area = await uniqueArea();
    const driver = user('driver');
    await world.goOnline(a.baseUrl, driver, eastOf(area, 1));
    const off = await fetch(`${a.baseUrl}/api/drivers/availability`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${driver.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ online: false, location: area }),
    });
    expect(off.status).toBe(200);

    const order = await world.readyOrder(area);
    await settled(order.orderId, 'awaiting_driver');
    await sleep(1200);
    expect((await world.delivery(order.orderId))?.status).toBe('awaiting_driver');
  });

  it('when 20 orders are ready at once on two instances with 5 drivers, then each driver gets exactly one', async () => {
    const area = await uniqueArea();
    const drivers = Array.from({ length: 5 }, () => user('driver'));
    for (const [i, driver] of drivers.entries()) await world.goOnline(a.baseUrl, driver, eastOf(area, 0.5 * i));

    const orders = await Promise.all(Array.from({ length: 20 }, (_, i) => world.readyOrder(eastOf(area, 0.1 * i))));

    const deliveries = await eventually(async () => {
      const { rows } = await world.db.query<{ status: string; driver_id: string | null }>(
        'SELECT status, driver_id FROM deliveries WHERE order_id = ANY($1::uuid[])',
        [orders.map((o) => o.orderId)],
      );
      return rows.length === 20 ? rows : undefined;
    });
    await sleep(1200); // let the sweeps run too: they must not add a second delivery to anyone
    const { rows } = await world.db.query<{ status: string; driver_id: string | null }>(
      'SELECT status, driver_id FROM deliveries WHERE order_id = ANY($1::uuid[])',
      [orders.map((o) => o.orderId)],
    );
    expect(deliveries).toHaveLength(20);
    const assigned = rows.filter((r) => r.status === 'assigned');
    expect(assigned).toHaveLength(5);
    expect(new Set(assigned.map((r) => r.driver_id))).toEqual(new Set(drivers.map((d) => d.id)));
    expect(rows.filter((r) => r.status === 'awaiting_driver')).toHaveLength(15);
  });

  it('when the database is asked for a second active delivery for a driver, then it refuses', async () => {
    const area = await uniqueArea();
    const driver = user('driver');
    await world.goOnline(a.baseUrl, driver, area);
    const first = await world.readyOrder(area);
    await settled(first.orderId, 'assigned');
    const second = await world.readyOrder(area);
    const waiting = await settled(second.orderId, 'awaiting_driver');

    await expect(
      world.db.query(`UPDATE deliveries SET status = 'assigned', driver_id = $2, assigned_at = now() WHERE id = $1`, [
        waiting.id,
        driver.id,
      ]),
    ).rejects.toMatchObject({ code: '23505' });
  });

  it('when an order is cancelled, then its delivery is cancelled and the driver takes the next waiting one', async () => {
    const area = await uniqueArea();
    const driver = user('driver');
    await world.goOnline(a.baseUrl, driver, area);
    const first = await world.readyOrder(area);
    await settled(first.orderId, 'assigned');
    const second = await world.readyOrder(area);
    await settled(second.orderId, 'awaiting_driver');

    await world.publish('order.cancelled', { ...first, reason: 'customer changed their mind', by: 'admin' });

    await settled(first.orderId, 'cancelled');
    const next = await settled(second.orderId, 'assigned');
    expect(next.driver_id).toBe(driver.id);
  });

  it('when order.ready comes after the order was cancelled, then no delivery is made', async () => {
    const area = await uniqueArea();
    const driver = user('driver');
    await world.goOnline(a.baseUrl, driver, area);
    const ref = orderRef();
    await world.publish('order.created', {
      ...ref,
      items: [],
      totalCents: 900,
      currency: 'USD',
      deliveryAddress: { label: 'Home', street: '1 Main St', city: 'Town', postalCode: '1000', location: area },
    });
    await world.publish('order.cancelled', { ...ref, reason: null, by: 'admin' });
    await eventually(async () => {
      const { rows } = await world.db.query('SELECT status FROM orders WHERE id = $1', [ref.orderId]);
      return rows[0]?.status === 'cancelled' ? true : undefined;
    });

    await world.readyOrder(area, ref);
    const control = await world.readyOrder(eastOf(area, 30));
    await settled(control.orderId, 'awaiting_driver');
    await sleep(500);
    expect(await world.delivery(ref.orderId)).toBeUndefined();
  });

  it('when a cancellation is the first news of an order, then its later order.ready still makes no delivery', async () => {
    const area = await uniqueArea();
    const driver = user('driver');
    await world.goOnline(a.baseUrl, driver, area);
    const ref = orderRef();
    await world.publish('order.cancelled', { ...ref, reason: 'restaurant closed early', by: 'restaurant_owner' });
    await eventually(async () => {
      const { rows } = await world.db.query('SELECT status FROM orders WHERE id = $1', [ref.orderId]);
      return rows[0]?.status === 'cancelled' ? true : undefined;
    });
    await world.readyOrder(area, ref);
    const control = await world.readyOrder(eastOf(area, 30));
    await settled(control.orderId, 'awaiting_driver');
    expect(await world.delivery(ref.orderId)).toBeUndefined();
  });

  it('when the same order.ready arrives twice, then one delivery exists and one assignment is announced', async () => {
    const area = await uniqueArea();
    const driver = user('driver');
    await world.goOnline(a.baseUrl, driver, area);
    const ref = orderRef();
    const eventId = randomUUID();
    const data = { ...ref, pickup: area, dropoff: eastOf(area, 2) };
    await world.publish('order.ready', data, eventId);
    await world.publish('order.ready', data, eventId);

    await settled(ref.orderId, 'assigned');
    await sleep(500);
    const announced = await world.db.query(
      `SELECT count(*)::int AS n FROM outbox WHERE type = 'delivery.assigned' AND payload->'data'->>'orderId' = $1`,
      [ref.orderId],
    );
    expect(announced.rows[0]?.n).toBe(1);
    const { rows } = await world.db.query(
      `SELECT count(*)::int AS n FROM inbox WHERE event_id = $1 AND consumer = 'delivery_queue'`,
      [eventId],
    );
    expect(rows[0]?.n).toBe(1);
  });

  it('when a message is malformed, then it is parked in the dead-letter queue and the next one is handled', async () => {
    const badId = randomUUID();
    await world.publishRaw('order.ready', '{"not": "an event"', badId);
    const invalidData = randomUUID();
    await world.publishRaw(
      'order.ready',
      JSON.stringify({
        id: invalidData,
        type: 'order.ready',
        version: 1,
        occurredAt: new Date().toISOString(),
        correlationId: null,
        data: { orderId: 'not-a-uuid' },
      }),
      invalidData,
    );
    const area = await uniqueArea();
    const good = await world.readyOrder(area);
    await settled(good.orderId, 'awaiting_driver');

    const parked = new Set<string>();
    await eventually(async () => {
      // Take everything parked, keep ours, and put back whatever else is there.
      const held: amqplib.GetMessage[] = [];
      for (let msg = await world.channel.get(DLQ); msg; msg = await world.channel.get(DLQ)) held.push(msg);
      for (const msg of held) {
        const id = msg.properties.messageId as string;
        if (id === badId || id === invalidData) {
          parked.add(id);
          world.channel.ack(msg);
        } else {
          world.channel.nack(msg, false, true);
        }
      }
      return parked.size === 2 ? true : undefined;
    });
    expect([...parked].sort()).toEqual([badId, invalidData].sort());
  });
});
