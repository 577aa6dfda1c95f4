import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http } from '@foodflow/platform/testing';
import { startStack, type Stack } from './stack.js';
import {
  type Account,
  CITY,
  connectSocket,
  openRestaurant,
  placeOrder,
  register,
  saveAddress,
  setStatus,
} from './support.js';

/**
 * One order from the first tap to the doorstep, through the gateway, with every service running as its
 * own process and talking over the real PostgreSQL, Redis and RabbitMQ.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('an order from cart to doorstep', () => {
  let owner: Account;
  let customer: Account;
  let driver: Account;

  beforeAll(async () => {
    [owner, customer, driver] = await Promise.all([
      register(stack.gatewayUrl, 'restaurant_owner'),
      register(stack.gatewayUrl, 'customer'),
      register(stack.gatewayUrl, 'driver'),
    ]);
  });

  it('when a customer orders and the restaurant and driver do their part, then the customer watches it all live', async () => {
    const api = stack.gatewayUrl;
    const { restaurantId, itemIds } = await openRestaurant(api, owner);
    const addressId = await saveAddress(api, customer);

    const ownerSocket = await connectSocket(api, owner.token);
    const order = await placeOrder(api, customer, addressId, itemIds);
    expect(order).toMatchObject({
      status: 'pending',
      restaurantId,
      customerId: customer.id,
      subtotalCents: 2650,
      deliveryFeeCents: 299,
      totalCents: 2949,
      payment: { method: 'card', status: 'authorized' },
    });
    expect((await http('GET', `${api}/api/cart`, { token: customer.token })).body.items).toEqual([]);

    // The owner hears of the new order, and the tracking copy exists before any driver does.
    await eventually(async () =>
      ownerSocket.received.find((m) => m.event === 'notification' && m.payload.orderId === order.id),
    );
    const tracker = await connectSocket(api, customer.token);
    const ack = await tracker.socket.timeout(5000).emitWithAck('track', { orderId: order.id });
    expect(ack).toMatchObject({ ok: true, tracking: { orderId: order.id, status: 'pending', driver: null } });

    for (const status of ['confirmed', 'preparing', 'ready']) {
      const moved = await setStatus(api, owner, order.id, status);
      expect(moved.status).toBe(200);
      expect(moved.body.status).toBe(status);
    }
    await eventually(async () =>
      tracker.received.find((m) => m.event === 'status_change' && m.payload.status === 'ready'),
    );

    // A driver comes online near the restaurant and gets the delivery.
    const online = await http('PUT', `${api}/api/drivers/availability`, {
      token: driver.token,
      body: { online: true, location: { lat: CITY.lat + 0.001, lng: CITY.lng } },
    });
    expect(online.status).toBe(200);
    const assigned = await eventually(async () =>
      tracker.received.find((m) => m.event === 'status_change' && m.payload.status === 'assigned'),
    );
    const deliveryId: string = assigned.payload.deliveryId;
    expect(deliveryId).toBeTruthy();
    const delivery = await http('GET', `${api}/api/deliveries/${deliveryId}`, { token: driver.token });
    expect(delivery.body).toMatchObject({ orderId: order.id, driverId: driver.id, status: 'assigned' });
    // The order service learned who the driver is: the driver may now read the order.
    await eventually(async () => {
      const seen = await http('GET', `${api}/api/orders/${order.id}`, { token: driver.token });
      return seen.status === 200 && seen.body.driverId === driver.id ? true : undefined;
    });

    const moved = await http('PUT', `${api}/api/deliveries/${deliveryId}/location`, {
      token: driver.token,
      body: { lat: 40.72, lng: -74.0, heading: 45, speedKmh: 20 },
    });
    expect(moved.status).toBe(200);
    const location = await eventually(async () => tracker.received.find((m) => m.event === 'location_update'));
    expect(location.payload).toMatchObject({ orderId: order.id, deliveryId, lat: 40.72, lng: -74.0 });
    const tracking = await http('GET', `${api}/api/tracking/${order.id}`, { token: customer.token });
    expect(tracking.body).toMatchObject({
      orderId: order.id,
      deliveryId,
      deliveryStatus: 'assigned',
      driver: { id: driver.id, firstName: 'Firstdriver' },
      location: { lat: 40.72, lng: -74.0 },
    });
    expect(tracking.body.etaMinutes).toBeGreaterThan(0);

    expect(
      (
        await http('PUT', `${api}/api/deliveries/${deliveryId}/status`, {
          token: driver.token,
          body: { status: 'picked_up' },
        })
      ).status,
    ).toBe(200);
    await eventually(async () => {
      const seen = await http('GET', `${api}/api/orders/${order.id}`, { token: customer.token });
      return seen.body.status === 'picked_up' ? true : undefined;
    });
    expect(
      (
        await http('PUT', `${api}/api/deliveries/${deliveryId}/status`, {
          token: driver.token,
          body: { status: 'delivered' },
        })
      ).status,
    ).toBe(200);
    const delivered = await eventually(async () => {
      const seen = await http('GET', `${api}/api/orders/${order.id}`, { token: customer.token });
      return seen.body.status === 'delivered' ? seen.body : undefined;
    });
    expect(delivered.payment).toEqual({ method: 'card', status: 'captured' });
    expect(delivered.statusHistory.map((h: { status: string }) => h.status)).toEqual([
      'pending',
      'confirmed',
      'preparing',
      'ready',
      'picked_up',
      'delivered',
    ]);
    await eventually(async () =>
      tracker.received.find((m) => m.event === 'status_change' && m.payload.status === 'delivered'),
    );

    tracker.socket.disconnect();
    ownerSocket.socket.disconnect();
  });

  it("when another customer asks to track someone else's order, then they are refused over REST and the socket", async () => {
    const api = stack.gatewayUrl;
    const { itemIds } = await openRestaurant(api, owner);
    const order = await placeOrder(api, customer, await saveAddress(api, customer), itemIds);
    const stranger = await register(api, 'customer');
    const rest = await http('GET', `${api}/api/tracking/${order.id}`, { token: stranger.token });
    expect([403, 404]).toContain(rest.status);
    const socket = await connectSocket(api, stranger.token);
    const ack = await socket.socket.timeout(5000).emitWithAck('track', { orderId: order.id });
    expect(ack.ok).toBe(false);
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(ack.error.code);
    expect((await http('GET', `${api}/api/orders/${order.id}`, { token: stranger.token })).status).toBe(404);
    socket.socket.disconnect();
  });

  it('when the access token is logged out, then every service refuses it and its open socket is closed', async () => {
    const api = stack.gatewayUrl;
    const login = await http('POST', `${api}/api/auth/login`, {
      body: { email: customer.email, password: 'correct-horse-battery' },
    });
    const token: string = login.body.accessToken;
    expect((await http('GET', `${api}/api/cart`, { token })).status).toBe(200);
    const { socket } = await connectSocket(api, token);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect((await http('POST', `${api}/api/auth/logout`, { token, body: {} })).status).toBe(204);
    // The tracking socket opened with that token is closed by the server, not left open until it expires.
    expect(await closed).toBe('io server disconnect');
    for (const path of ['/api/users/profile', '/api/cart', '/api/orders', `/api/tracking/${randomUUID()}`]) {
      const res = await http('GET', `${api}${path}`, { token });
      expect(res.status, path).toBe(401);
    }
  });
});
