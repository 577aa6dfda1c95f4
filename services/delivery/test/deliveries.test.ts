import { randomUUID } from 'node:crypto';
import { eventually, http } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryRepository } from '../src/deliveries/delivery.repository.js';
import { eastOf, type Instance, uniqueArea, startInstance, user, type User, World } from './support.js';

let service: Instance;
let world: World;

beforeAll(async () => {
  service = await startInstance();
  world = await new World().open();
});

afterAll(async () => {
  await service?.close();
  await world?.close();
});

const url = (path: string): string => `${service.baseUrl}${path}`;

/** A driver online somewhere of their own with a delivery assigned to them. */
async function driverWithDelivery(driver: User = user('driver')) {
  const area = await uniqueArea();
  await world.goOnline(service.baseUrl, driver, area);
  const order = await world.readyOrder(eastOf(area, 1));
  const delivery = await eventually(async () => {
    const found = await world.delivery(order.orderId);
    return found?.status === 'assigned' ? found : undefined;
  });
  return { driver, order, area, deliveryId: delivery.id };
}

describe('PUT /api/drivers/availability', () => {
  it('when a driver goes online, then the answer echoes their availability', async () => {
    const driver = user('driver');
    const location = await uniqueArea();
    const res = await http('PUT', url('/api/drivers/availability'), {
      token: driver.token,
      body: { online: true, location },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ online: true, location });
    await world.goOnline(service.baseUrl, driver, location);
  });

  it('when the caller is not a driver or not signed in, then 403 and 401', async () => {
    const body = { online: true, location: await uniqueArea() };
    const asCustomer = await http('PUT', url('/api/drivers/availability'), { token: user('customer').token, body });
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.body.error.code).toBe('FORBIDDEN');
    const anonymous = await http('PUT', url('/api/drivers/availability'), { body });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['no online flag', { location: { lat: 1, lng: 1 } }],
    ['a latitude out of range', { online: true, location: { lat: 91, lng: 1 } }],
    ['a longitude out of range', { online: true, location: { lat: 1, lng: 181 } }],
    ['a string for online', { online: 'yes', location: { lat: 1, lng: 1 } }],
    ['an unknown field', { online: true, location: { lat: 1, lng: 1 }, rating: 5 }],
  ])('when the body has %s, then 400 VALIDATION_FAILED', async (_case, body) => {
    const res = await http('PUT', url('/api/drivers/availability'), { token: user('driver').token, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('PUT /api/deliveries/:id/status', () => {
  it('when the driver picks up and delivers, then each step is saved and announced', async () => {
    const { driver, order, deliveryId } = await driverWithDelivery();

    const pickedUp = await http('PUT', url(`/api/deliveries/${deliveryId}/status`), {
      token: driver.token,
      body: { status: 'picked_up' },
    });
    expect(pickedUp.status).toBe(200);
    expect(pickedUp.body).toMatchObject({ id: deliveryId, orderId: order.orderId, status: 'picked_up' });
    expect(pickedUp.body.pickedUpAt).toEqual(expect.any(String));

    const delivered = await http('PUT', url(`/api/deliveries/${deliveryId}/status`), {
      token: driver.token,
      body: { status: 'delivered' },
    });
    expect(delivered.status).toBe(200);
    expect(delivered.body).toMatchObject({ status: 'delivered', driverId: driver.id });
    expect(delivered.body.deliveredAt).toEqual(expect.any(String));

    // The relay marks an outbox row published only once the broker has confirmed it.
    const steps = await eventually(async () => {
      const { rows } = await world.db.query<{ type: string; data: object }>(
        `SELECT type, payload->'data' AS data FROM outbox
          WHERE payload->'data'->>'deliveryId' = $1 AND published_at IS NOT NULL ORDER BY seq`,
        [deliveryId],
      );
      return rows.length === 3 ? rows : undefined;
    });
    expect(steps.map((e) => e.type)).toEqual(['delivery.assigned', 'delivery.picked_up', 'delivery.delivered']);
    for (const step of steps) expect(step.data).toEqual({ deliveryId, orderId: order.orderId, driverId: driver.id });

    const metrics = await http('GET', url('/metrics'));
    expect(metrics.body).toMatch(/deliveries_completed_total\{[^}]*\} [1-9]/);
    expect(metrics.body).toMatch(/delivery_duration_seconds_count\{[^}]*\} [1-9]/);
    expect(metrics.body).toMatch(/delivery_time_to_assign_seconds_count\{[^}]*\} [1-9]/);
  });

  it('when a step is skipped or repeated, then 409 INVALID_TRANSITION and nothing changes', async () => {
    const { driver, deliveryId } = await driverWithDelivery();
    const skip = await http('PUT', url(`/api/deliveries/${deliveryId}/status`), {
      token: driver.token,
      body: { status: 'delivered' },
    });
    expect(skip.status).toBe(409);
    expect(skip.body.error.code).toBe('INVALID_TRANSITION');

    await http('PUT', url(`/api/deliveries/${deliveryId}/status`), {
      token: driver.token,
      body: { status: 'picked_up' },
    });
    const again = await http('PUT', url(`/api/deliveries/${deliveryId}/status`), {
      token: driver.token,
      body: { status: 'picked_up' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_TRANSITION');
    const { rows } = await world.db.query('SELECT status FROM deliveries WHERE id = $1', [deliveryId]);
    expect(rows[0]?.status).toBe('picked_up');
  });

  it('when someone other than its driver moves it, then 404 for a driver and 403 for other roles', async () => {
    const { deliveryId } = await driverWithDelivery();
    const body = { status: 'picked_up' };
    const otherDriver = await http('PUT', url(`/api/deliveries/${deliveryId}/status`), {
      token: user('driver').token,
      body,
    });
    expect(otherDriver.status).toBe(404);
    expect(otherDriver.body.error.code).toBe('NOT_FOUND');
    for (const role of ['customer', 'restaurant_owner', 'admin'] as const) {
      const res = await http('PUT', url(`/api/deliveries/${deliveryId}/status`), { token: user(role).token, body });
      expect(res.status).toBe(403);
    }
    const { rows } = await world.db.query('SELECT status FROM deliveries WHERE id = $1', [deliveryId]);
    expect(rows[0]?.status).toBe('assigned');
  });

  it('when the status or id is not valid, then 400; an unknown delivery is 404', async () => {
    const driver = user('driver');
    const badStatus = await http('PUT', url(`/api/deliveries/${randomUUID()}/status`), {
      token: driver.token,
      body: { status: 'assigned' },
    });
    expect(badStatus.status).toBe(400);
    const badId = await http('PUT', url('/api/deliveries/not-a-uuid/status'), {
      token: driver.token,
      body: { status: 'picked_up' },
    });
    expect(badId.status).toBe(400);
    const unknown = await http('PUT', url(`/api/deliveries/${randomUUID()}/status`), {
      token: driver.token,
      body: { status: 'picked_up' },
    });
    expect(unknown.status).toBe(404);
  });

  it('when a driver delivers, then they take the oldest delivery waiting near them', async () => {
    const { driver, area, deliveryId } = await driverWithDelivery();
    const waiting = await world.readyOrder(eastOf(area, 2));
    await eventually(async () =>
      (await world.delivery(waiting.orderId))?.status === 'awaiting_driver' ? 1 : undefined,
    );

    for (const status of ['picked_up', 'delivered']) {
      await http('PUT', url(`/api/deliveries/${deliveryId}/status`), { token: driver.token, body: { status } });
    }

    const next = await eventually(async () => {
      const found = await world.delivery(waiting.orderId);
      return found?.status === 'assigned' ? found : undefined;
    });
    expect(next.driver_id).toBe(driver.id);
  });
});

describe('GET /api/deliveries and /api/deliveries/:id', () => {
  it('when a driver lists, then they see only their own, filtered and paged', async () => {
    const { driver, deliveryId } = await driverWithDelivery();
    await driverWithDelivery(); // someone else's

    const all = await http('GET', url('/api/deliveries'), { token: driver.token });
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ page: 1, pageSize: 20, total: 1 });
    expect(all.body.data.map((d: { id: string }) => d.id)).toEqual([deliveryId]);
    expect(all.body.data[0]).toEqual({
      id: deliveryId,
      orderId: expect.any(String),
      driverId: driver.id,
      status: 'assigned',
      pickup: expect.objectContaining({ lat: expect.any(Number), lng: expect.any(Number) }),
      dropoff: expect.objectContaining({ lat: expect.any(Number), lng: expect.any(Number) }),
      assignedAt: expect.any(String),
      pickedUpAt: null,
      deliveredAt: null,
      lastLocation: null,
    });

    const filtered = await http('GET', url('/api/deliveries?status=delivered'), { token: driver.token });
    expect(filtered.body.total).toBe(0);
    const secondPage = await http('GET', url('/api/deliveries?page=2&pageSize=1'), { token: driver.token });
    expect(secondPage.body).toMatchObject({ page: 2, pageSize: 1, total: 1, data: [] });
  });

  it('when an admin lists or reads, then every delivery is visible', async () => {
    const { deliveryId } = await driverWithDelivery();
    const admin = user('admin');
    const list = await http('GET', url('/api/deliveries?status=assigned&pageSize=100'), { token: admin.token });
    expect(list.status).toBe(200);
    expect(list.body.total).toBeGreaterThanOrEqual(1);
    const one = await http('GET', url(`/api/deliveries/${deliveryId}`), { token: admin.token });
    expect(one.status).toBe(200);
    expect(one.body.id).toBe(deliveryId);
  });

  it('when another driver reads a delivery, then 404; customers and owners get 403', async () => {
    const { driver, deliveryId } = await driverWithDelivery();
    expect((await http('GET', url(`/api/deliveries/${deliveryId}`), { token: driver.token })).status).toBe(200);
    const other = await http('GET', url(`/api/deliveries/${deliveryId}`), { token: user('driver').token });
    expect(other.status).toBe(404);
    for (const role of ['customer', 'restaurant_owner'] as const) {
      expect((await http('GET', url(`/api/deliveries/${deliveryId}`), { token: user(role).token })).status).toBe(403);
      expect((await http('GET', url('/api/deliveries'), { token: user(role).token })).status).toBe(403);
    }
  });

  it('when the query is not valid, then 400', async () => {
    const driver = user('driver');
    for (const query of ['status=lost', 'pageSize=101', 'page=0', 'sort=id']) {
      const res = await http('GET', url(`/api/deliveries?${query}`), { token: driver.token });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('PUT /api/deliveries/:id/location', () => {
  it('when the driver reports positions, then each is kept and the latest is shown', async () => {
    const { driver, area, deliveryId } = await driverWithDelivery();
    const points = [eastOf(area, 0.2), eastOf(area, 0.4), eastOf(area, 0.6)];
    for (const [i, p] of points.entries()) {
      const res = await http('PUT', url(`/api/deliveries/${deliveryId}/location`), {
        token: driver.token,
        body: { ...p, heading: 90, speedKmh: 20 + i },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
    }
    const { rows } = await world.db.query(
      'SELECT lat, lng, speed_kmh FROM delivery_locations WHERE delivery_id = $1 ORDER BY id',
      [deliveryId],
    );
    expect(rows).toEqual(points.map((p, i) => ({ lat: p.lat, lng: p.lng, speed_kmh: 20 + i })));
    const read = await http('GET', url(`/api/deliveries/${deliveryId}`), { token: driver.token });
    expect(read.body.lastLocation).toEqual({ ...points[2], at: expect.any(String) });
  });

  it.each([
    ['a latitude above 90', { lat: 90.1, lng: 0 }],
    ['a longitude below -180', { lat: 0, lng: -180.1 }],
    ['a heading above 360', { lat: 0, lng: 0, heading: 361 }],
    ['a negative speed', { lat: 0, lng: 0, speedKmh: -1 }],
    ['a speed above 250', { lat: 0, lng: 0, speedKmh: 251 }],
    ['no longitude', { lat: 0 }],
    ['an unknown field', { lat: 0, lng: 0, altitude: 10 }],
  ])('when the position has %s, then 400 and nothing is kept', async (_case, body) => {
    const { driver, deliveryId } = await driverWithDelivery();
    const res = await http('PUT', url(`/api/deliveries/${deliveryId}/location`), { token: driver.token, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    const { rows } = await world.db.query('SELECT count(*)::int AS n FROM delivery_locations WHERE delivery_id = $1', [
      deliveryId,
    ]);
    expect(rows[0]?.n).toBe(0);
  });

  it('when another driver or a customer reports, then 404 and 403; after delivery, 409', async () => {
    const { driver, deliveryId } = await driverWithDelivery();
    const body = { lat: 1, lng: 1 };
    const other = await http('PUT', url(`/api/deliveries/${deliveryId}/location`), {
      token: user('driver').token,
      body,
    });
    expect(other.status).toBe(404);
    const customer = await http('PUT', url(`/api/deliveries/${deliveryId}/location`), {
      token: user('customer').token,
      body,
    });
    expect(customer.status).toBe(403);

    for (const status of ['picked_up', 'delivered']) {
      await http('PUT', url(`/api/deliveries/${deliveryId}/status`), { token: driver.token, body: { status } });
    }
    const late = await http('PUT', url(`/api/deliveries/${deliveryId}/location`), { token: driver.token, body });
    expect(late.status).toBe(409);
    const { rows } = await world.db.query('SELECT count(*)::int AS n FROM delivery_locations WHERE delivery_id = $1', [
      deliveryId,
    ]);
    expect(rows[0]?.n).toBe(0);
  });
});

describe('delivery ids in the path', () => {
  it('when the id is in capitals, then the position is kept and acknowledged', async () => {
    const { driver, deliveryId } = await driverWithDelivery();
    const res = await http('PUT', url(`/api/deliveries/${deliveryId.toUpperCase()}/location`), {
      token: driver.token,
      body: { lat: 2, lng: 3 },
    });
    expect(res.status).toBe(200);
    const read = await http('GET', url(`/api/deliveries/${deliveryId}`), { token: driver.token });
    expect(read.body.lastLocation).toMatchObject({ lat: 2, lng: 3 });
  });

  it.each([
    ['in brackets', (id: string) => `[${id}]`],
    ['with colons', (id: string) => id.replaceAll('-', ':')],
    ['without hyphens', (id: string) => id.replaceAll('-', '')],
  ])('when the id is written %s, then 400', async (_case, write) => {
    const res = await http('PUT', url(`/api/deliveries/${write(randomUUID())}/location`), {
      token: user('driver').token,
      body: { lat: 2, lng: 3 },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('positions stored together', () => {
  it('when one statement stores several positions, then each is checked on its own and kept in the order sent', async () => {
    const first = await driverWithDelivery();
    const second = await driverWithDelivery();
    const fix = (deliveryId: string, driverId: string, lng: number) => ({
      deliveryId,
      driverId,
      lat: 1,
      lng,
      heading: null,
      speedKmh: null,
    });

    const stored = await new DeliveryRepository().appendLocations(world.db, [
      fix(first.deliveryId, first.driver.id, 1),
      fix(second.deliveryId, first.driver.id, 2),
      fix(second.deliveryId, second.driver.id, 3),
      fix(first.deliveryId, 'not-a-uuid', 5),
      fix(first.deliveryId, first.driver.id, 4),
    ]);

    expect(stored.map((s) => s?.orderId)).toEqual([
      first.order.orderId,
      undefined,
      second.order.orderId,
      undefined,
      first.order.orderId,
    ]);
    const { rows } = await world.db.query<{ delivery_id: string; lng: number }>(
      'SELECT delivery_id, lng FROM delivery_locations WHERE delivery_id = ANY($1::uuid[]) ORDER BY id',
      [[first.deliveryId, second.deliveryId]],
    );
    expect(rows).toEqual([
      { delivery_id: first.deliveryId, lng: 1 },
      { delivery_id: second.deliveryId, lng: 3 },
      { delivery_id: first.deliveryId, lng: 4 },
    ]);
    const read = await http('GET', url(`/api/deliveries/${first.deliveryId}`), { token: first.driver.token });
    expect(read.body.lastLocation).toMatchObject({ lat: 1, lng: 4 });
  });
});

describe('location history retention', () => {
  it('when positions are older than the retention period, then the periodic purge removes only those', async () => {
    const purging = await startInstance({ PURGE_INTERVAL_MS: '1000', LOCATION_RETENTION_HOURS: '1' });
    try {
      const { driver, area, deliveryId } = await driverWithDelivery();
      for (const p of [area, eastOf(area, 0.1)]) {
        await http('PUT', url(`/api/deliveries/${deliveryId}/location`), { token: driver.token, body: p });
      }
      await world.db.query(
        `UPDATE delivery_locations SET recorded_at = now() - interval '2 hours'
          WHERE id = (SELECT min(id) FROM delivery_locations WHERE delivery_id = $1)`,
        [deliveryId],
      );

      const left = await eventually(async () => {
        const { rows } = await world.db.query<{ lat: number; lng: number }>(
          'SELECT lat, lng FROM delivery_locations WHERE delivery_id = $1',
          [deliveryId],
        );
        return rows.length === 1 ? rows : undefined;
      });
      expect(left[0]).toEqual(eastOf(area, 0.1));
    } finally {
      await purging.close();
    }
  });
});
