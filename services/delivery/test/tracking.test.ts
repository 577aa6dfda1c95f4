import { randomUUID } from 'node:crypto';
import { eventually, generateTestKeys, http, signTestAccessToken } from '@foodflow/platform/testing';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distanceKm } from '../src/tracking/eta.js';
import {
  collect,
  connect,
  eastOf,
  type Instance,
  uniqueArea,
  sleep,
  startInstance,
  token,
  trackingBeforeDelivery,
  user,
  type User,
  World,
} from './support.js';

let a: Instance;
let b: Instance;
let world: World;
const sockets: Socket[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([startInstance(), startInstance()]);
  world = await new World().open();
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await a?.close();
  await b?.close();
  await world?.close();
});

/** An order ready and assigned to a fresh driver online 1 km from the restaurant. */
async function orderOnItsWay() {
  const parties = await world.placedOrder();
  const area = await uniqueArea();
  const driver = user('driver', 'Dana');
  await world.goOnline(a.baseUrl, driver, eastOf(area, 1));
  await world.readyOrder(area, parties.ref);
  const delivery = await eventually(async () => {
    const found = await world.delivery(parties.ref.orderId);
    return found?.status === 'assigned' ? found : undefined;
  });
  await eventually(async () => ((await world.orderCopy(parties.ref.orderId))?.status === 'ready' ? true : undefined));
  return { ...parties, area, driver, deliveryId: delivery.id };
}

async function open(instance: Instance, accessToken: string): Promise<Socket> {
  const socket = await connect(instance.baseUrl, accessToken);
  sockets.push(socket);
  return socket;
}

type TrackAck = { ok: true; tracking: Record<string, unknown> } | { ok: false; error: { code: string } };
const track = (socket: Socket, payload: unknown): Promise<TrackAck> => socket.emitWithAck('track', payload);

const sendLocation = (instance: Instance, driver: User, deliveryId: string, body: object) =>
  http('PUT', `${instance.baseUrl}/api/deliveries/${deliveryId}/location`, { token: driver.token, body });

describe('GET /api/tracking/:orderId', () => {
  it('when the order has no driver yet, then its status comes with nulls for the delivery', async () => {
    const { ref, customer } = await world.placedOrder();
    const res = await http('GET', `${a.baseUrl}/api/tracking/${ref.orderId}`, { token: customer.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(trackingBeforeDelivery(ref.orderId));
  });

  it('when the driver is on the way, then tracking shows them, their position and an ETA from distance and speed', async () => {
    const { ref, customer, area, driver, deliveryId } = await orderOnItsWay();
    const here = eastOf(area, 3);
    await sendLocation(b, driver, deliveryId, { ...here, speedKmh: 30 });

    const res = await http('GET', `${a.baseUrl}/api/tracking/${ref.orderId}`, { token: customer.token });
    expect(res.status).toBe(200);
    const km = distanceKm(here, area) + distanceKm(area, eastOf(area, 2));
    expect(res.body).toEqual({
      orderId: ref.orderId,
      status: 'ready',
      deliveryId,
      deliveryStatus: 'assigned',
      driver: { id: driver.id, firstName: 'Dana' },
      location: { lat: here.lat, lng: here.lng, at: expect.any(String) },
      etaMinutes: Math.ceil((km / 30) * 60),
    });
  });

  it('when the order is followed by its customer, owner, driver or an admin, then 200; anyone else 403', async () => {
    const { ref, customer, owner, driver } = await orderOnItsWay();
    const get = (accessToken: string) =>
      http('GET', `${a.baseUrl}/api/tracking/${ref.orderId}`, { token: accessToken });
    for (const allowed of [customer.token, owner.token, driver.token, user('admin').token]) {
      expect((await get(allowed)).status).toBe(200);
    }
    for (const role of ['customer', 'restaurant_owner', 'driver'] as const) {
      const res = await get(user(role).token);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
  });

  it('when the id is malformed or no token given, then 400 and 401', async () => {
    const customer = user('customer');
    expect((await http('GET', `${a.baseUrl}/api/tracking/12345`, { token: customer.token })).status).toBe(400);
    expect((await http('GET', `${a.baseUrl}/api/tracking/${randomUUID()}`)).status).toBe(401);
  });
});

describe('Socket.IO handshake', () => {
  it.each([
    ['no token', undefined, 'UNAUTHENTICATED'],
    ['a malformed token', 'not-a-jwt', 'UNAUTHENTICATED'],
    ['an expired token', token('customer', randomUUID(), 'Old', -60), 'TOKEN_EXPIRED'],
    [
      "another issuer's key",
      signTestAccessToken({ privateKey: generateTestKeys().privateKey, role: 'customer' }),
      'UNAUTHENTICATED',
    ],
  ])('when connecting with %s, then connect_error carries the code', async (_case, accessToken, code) => {
    const failure = await connect(a.baseUrl, accessToken).then(
      () => undefined,
      (err: Error & { data?: { code: string } }) => err,
    );
    expect(failure?.data?.code).toBe(code);
  });

  it('when a client is connected, then the connected sockets gauge counts it', async () => {
    await open(b, user('customer').token);
    const metrics = await http('GET', `${b.baseUrl}/metrics`);
    const line = /^socket_connections\{[^}]*\} (\d+)$/m.exec(metrics.body);
    expect(Number(line?.[1])).toBeGreaterThanOrEqual(1);
  });

  it('when the token expires while connected, then the server disconnects the socket', async () => {
    const socket = await open(a, token('customer', randomUUID(), 'Brief', 2));
    const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
  });
});

describe('Socket.IO tracking', () => {
  it('when the people of an order track it, then they get the snapshot; anyone else gets FORBIDDEN', async () => {
    const { ref, customer, owner, driver } = await orderOnItsWay();
    for (const allowed of [customer, owner, driver, user('admin')]) {
      const ack = await track(await open(a, allowed.token), { orderId: ref.orderId });
      expect(ack).toMatchObject({ ok: true, tracking: { orderId: ref.orderId, deliveryStatus: 'assigned' } });
    }
    for (const role of ['customer', 'restaurant_owner', 'driver'] as const) {
      const ack = await track(await open(b, user(role).token), { orderId: ref.orderId });
      expect(ack).toEqual({ ok: false, error: { code: 'FORBIDDEN', message: expect.any(String) } });
    }
  });

  it('when the request is malformed, then VALIDATION_FAILED', async () => {
    const socket = await open(a, user('customer').token);
    expect(await track(socket, { orderId: 'x' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    expect(await track(socket, 'nonsense')).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
  });

  it('when someone is refused, then they receive nothing of that order', async () => {
    const { ref, driver, deliveryId } = await orderOnItsWay();
    const outsider = await open(a, user('customer').token);
    await track(outsider, { orderId: ref.orderId });
    const leaked = collect(outsider, 'location_update');
    const insider = await open(a, user('admin').token);
    await track(insider, { orderId: ref.orderId });
    const seen = collect(insider, 'location_update');

    await sendLocation(a, driver, deliveryId, { lat: 10, lng: 10 });
    await eventually(async () => (seen.length === 1 ? true : undefined));
    expect(leaked).toEqual([]);
  });

  it('when a client tracks order A, then it receives nothing of order B', async () => {
    const first = await orderOnItsWay();
    const second = await orderOnItsWay();
    const socket = await open(a, first.customer.token);
    await track(socket, { orderId: first.ref.orderId });
    const locations = collect(socket, 'location_update');
    const changes = collect(socket, 'status_change');

    await sendLocation(a, second.driver, second.deliveryId, { lat: 5, lng: 5 });
    await world.publish('order.picked_up', { ...second.ref, driverId: second.driver.id });
    await sendLocation(a, first.driver, first.deliveryId, { lat: 1, lng: 2, heading: 45, speedKmh: 12 });

    await eventually(async () => (locations.length === 1 ? true : undefined));
    await sleep(500);
    expect(locations).toEqual([
      {
        orderId: first.ref.orderId,
        deliveryId: first.deliveryId,
        lat: 1,
        lng: 2,
        heading: 45,
        speedKmh: 12,
        at: expect.any(String),
      },
    ]);
    expect(changes.filter((c) => c.orderId !== first.ref.orderId)).toEqual([]);
  });

  it('when several drivers report at the same moment, then each update reaches only its own trackers', async () => {
    const trips = await Promise.all([orderOnItsWay(), orderOnItsWay(), orderOnItsWay()]);
    const received = await Promise.all(
      trips.map(async (trip) => {
        const socket = await open(a, trip.customer.token);
        await track(socket, { orderId: trip.ref.orderId });
        return collect(socket, 'location_update');
      }),
    );

    const answers = await Promise.all([
      ...trips.map((trip, i) => sendLocation(i === 1 ? b : a, trip.driver, trip.deliveryId, { lat: i, lng: i })),
      sendLocation(a, user('driver'), trips[0]!.deliveryId, { lat: 9, lng: 9 }),
    ]);

    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 404]);
    await eventually(async () => (received.every((updates) => updates.length === 1) ? true : undefined));
    await sleep(300);
    trips.forEach((trip, i) => {
      expect(received[i]).toEqual([expect.objectContaining({ orderId: trip.ref.orderId, lat: i, lng: i })]);
    });
  });

  it('when a client tracks an order id written in capitals, then it still receives its updates', async () => {
    const { ref, customer, driver, deliveryId } = await orderOnItsWay();
    const socket = await open(a, customer.token);
    expect(await track(socket, { orderId: ref.orderId.toUpperCase() })).toMatchObject({ ok: true });
    const locations = collect(socket, 'location_update');

    await sendLocation(a, driver, deliveryId, { lat: 4, lng: 4 });

    await eventually(async () => (locations.length === 1 ? true : undefined));
    expect(locations[0]).toMatchObject({ orderId: ref.orderId, lat: 4, lng: 4 });
  });

  it('when a client on instance A tracks, then it receives an update sent through instance B', async () => {
    const { ref, customer, driver, deliveryId } = await orderOnItsWay();
    const socket = await open(a, customer.token);
    await track(socket, { orderId: ref.orderId });
    const locations = collect(socket, 'location_update');

    const res = await sendLocation(b, driver, deliveryId, { lat: -3, lng: 7 });
    expect(res.status).toBe(200);

    await eventually(async () => (locations.length === 1 ? true : undefined));
    expect(locations[0]).toMatchObject({ orderId: ref.orderId, deliveryId, lat: -3, lng: 7 });
  });

  it('when a client untracks, then updates stop', async () => {
    const { ref, customer, driver, deliveryId } = await orderOnItsWay();
    const socket = await open(a, customer.token);
    await track(socket, { orderId: ref.orderId });
    const locations = collect(socket, 'location_update');
    await sendLocation(a, driver, deliveryId, { lat: 1, lng: 1 });
    await eventually(async () => (locations.length === 1 ? true : undefined));

    expect(await socket.emitWithAck('untrack', { orderId: ref.orderId })).toEqual({ ok: true });
    await sendLocation(b, driver, deliveryId, { lat: 2, lng: 2 });
    await sleep(500);
    expect(locations).toHaveLength(1);
  });

  it('when a client connects again without recovery, then track answers with a fresh snapshot', async () => {
    const { ref, customer, driver, deliveryId } = await orderOnItsWay();
    const first = await open(a, customer.token);
    await track(first, { orderId: ref.orderId });
    first.close();

    await sendLocation(b, driver, deliveryId, { lat: 4, lng: 4 });
    const again = await open(b, customer.token);
    const ack = await track(again, { orderId: ref.orderId });
    expect(ack).toMatchObject({ ok: true, tracking: { location: { lat: 4, lng: 4 } } });
  });

  it('when a connection drops briefly, then the client recovers its rooms and the updates it missed', async () => {
    const { ref, customer, driver, deliveryId } = await orderOnItsWay();
    const socket = connectSocket(a.baseUrl, {
      auth: { token: customer.token },
      transports: ['websocket'],
      reconnectionDelay: 100,
      reconnectionDelayMax: 200,
    });
    sockets.push(socket);
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    await track(socket, { orderId: ref.orderId });
    // Recovery needs one packet received with an offset to resume from.
    await sendLocation(a, driver, deliveryId, { lat: 1, lng: 1 });
    const locations = collect(socket, 'location_update');
    await eventually(async () => (locations.length === 1 ? true : undefined));

    const reconnected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.io.engine.close();
    await sendLocation(b, driver, deliveryId, { lat: 2, lng: 2 });
    await reconnected;

    expect(socket.recovered).toBe(true);
    await eventually(async () => (locations.length === 2 ? true : undefined));
    expect(locations[1]).toMatchObject({ lat: 2, lng: 2 });
  });
});

describe('status changes and notifications', () => {
  it('when the order moves, then its trackers get status_change and its people a notification', async () => {
    const { ref, customer, owner } = await world.placedOrder();
    const customerSocket = await open(a, customer.token);
    await track(customerSocket, { orderId: ref.orderId });
    const changes = collect(customerSocket, 'status_change');
    const customerNotes = collect(customerSocket, 'notification');
    const ownerSocket = await open(b, owner.token);
    const ownerNotes = collect(ownerSocket, 'notification');

    const confirmed = await world.publish('order.confirmed', ref);
    await eventually(async () => (changes.length === 1 && customerNotes.length === 1 ? true : undefined));
    expect(changes[0]).toEqual({ orderId: ref.orderId, deliveryId: null, status: 'confirmed', at: expect.any(String) });
    expect(customerNotes[0]).toEqual({
      id: confirmed,
      type: 'order.confirmed',
      orderId: ref.orderId,
      message: expect.any(String),
      at: expect.any(String),
    });

    const cancelled = await world.publish('order.cancelled', { ...ref, reason: null, by: 'restaurant_owner' });
    await eventually(async () => (ownerNotes.some((n) => n.id === cancelled) ? true : undefined));
    await eventually(async () => (changes.some((c) => c.status === 'cancelled') ? true : undefined));
    const copy = await http('GET', `${a.baseUrl}/api/tracking/${ref.orderId}`, { token: customer.token });
    expect(copy.body.status).toBe('cancelled');
  });

  it('when a driver is assigned, then trackers see "assigned" and the driver is notified', async () => {
    const parties = await world.placedOrder();
    const socket = await open(a, parties.customer.token);
    await track(socket, { orderId: parties.ref.orderId });
    const changes = collect(socket, 'status_change');
    const driver = user('driver');
    const driverSocket = await open(b, driver.token);
    const driverNotes = collect(driverSocket, 'notification');

    const area = await uniqueArea();
    await world.goOnline(a.baseUrl, driver, area);
    await world.readyOrder(area, parties.ref);

    const assigned = await eventually(async () => changes.find((c) => c.status === 'assigned'));
    const delivery = await world.delivery(parties.ref.orderId);
    expect(assigned).toEqual({
      orderId: parties.ref.orderId,
      deliveryId: delivery?.id,
      status: 'assigned',
      at: expect.any(String),
    });
    const note = await eventually(async () => driverNotes.find((n) => n.type === 'delivery.assigned'));
    expect(note.orderId).toBe(parties.ref.orderId);
    expect(changes.map((c) => c.status)).toEqual(expect.arrayContaining(['ready', 'assigned']));
  });

  it('when the same event arrives twice or a stale one late, then clients hear of it once', async () => {
    const { ref, customer } = await world.placedOrder();
    const socket = await open(a, customer.token);
    await track(socket, { orderId: ref.orderId });
    const changes = collect(socket, 'status_change');

    const id = randomUUID();
    await world.publish('order.preparing', ref, id);
    await world.publish('order.preparing', ref, id);
    await eventually(async () => (changes.length === 1 ? true : undefined));
    await world.publish('order.confirmed', ref);
    await sleep(700);
    expect(changes.map((c) => c.status)).toEqual(['preparing']);
    const res = await http('GET', `${a.baseUrl}/api/tracking/${ref.orderId}`, { token: customer.token });
    expect(res.body.status).toBe('preparing');
  });

  it('when a hub message is malformed, then it is parked and the hub keeps going', async () => {
    const badId = randomUUID();
    await world.publishRaw(
      'order.confirmed',
      JSON.stringify({ id: badId, type: 'order.confirmed', version: 1, occurredAt: new Date().toISOString() }),
      badId,
    );
    const { ref, customer } = await world.placedOrder();
    await world.publish('order.confirmed', ref);
    await eventually(async () => {
      const res = await http('GET', `${a.baseUrl}/api/tracking/${ref.orderId}`, { token: customer.token });
      return res.body.status === 'confirmed' ? true : undefined;
    });
    const found = await eventually(async () => {
      const held = [];
      for (let msg = await world.channel.get('notification_queue.dlq'); msg;) {
        held.push(msg);
        msg = await world.channel.get('notification_queue.dlq');
      }
      let mine = false;
      for (const msg of held) {
        if (msg.properties.messageId === badId) {
          mine = true;
          world.channel.ack(msg);
        } else {
          world.channel.nack(msg, false, true);
        }
      }
      return mine ? true : undefined;
    });
    expect(found).toBe(true);
  });
});
