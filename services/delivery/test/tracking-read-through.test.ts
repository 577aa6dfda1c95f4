import { randomUUID } from 'node:crypto';
import { http, metricValue } from '@foodflow/platform/testing';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newCustomer,
  type OrderServiceUnderTest,
  PeerServices,
  placeOrder,
  type Restaurant,
  startOrderService,
} from '../../order/test/support.js';
import { connect, type Instance, startInstance, token, trackingBeforeDelivery, user, World } from './support.js';

/**
 * Tracking in the moment after checkout, before `order.created` has reached the delivery service's copy:
 * the real order service (with its real user and restaurant services) answers for the order instead.
 */
let world: World;
const sockets: Socket[] = [];

beforeAll(async () => {
  world = await new World().open();
});

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await world?.close();
});

async function open(instance: Instance, accessToken: string): Promise<Socket> {
  const socket = await connect(instance.baseUrl, accessToken);
  sockets.push(socket);
  return socket;
}

const trackOver = (instance: Instance, orderId: string, accessToken: string) =>
  http('GET', `${instance.baseUrl}/api/tracking/${orderId}`, { token: accessToken });

/** Tracking `orderId` is refused with `status` and `code`, over REST and over the socket alike. */
async function refusedEverywhere(instance: Instance, orderId: string, status: number, code: string): Promise<void> {
  const { token } = user('customer');
  const res = await trackOver(instance, orderId, token);
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);

  const ack = await (await open(instance, token)).emitWithAck('track', { orderId });
  expect(ack).toEqual({ ok: false, error: { code, message: expect.any(String) } });
}

describe('when the copy has not heard of the order yet', () => {
  const peers = new PeerServices();
  let orders: OrderServiceUnderTest;
  let restaurant: Restaurant;
  let service: Instance;

  beforeAll(async () => {
    await peers.start();
    orders = await startOrderService({ peers });
    restaurant = await peers.addRestaurant();
    // No consumers: no order event reaches this instance's copy, however quickly the order service publishes.
    service = await startInstance({ ORDER_SERVICE_URL: orders.baseUrl }, { consume: false });
  });

  afterAll(async () => {
    await service?.close();
    await orders?.close();
    await peers.stop();
  });

  /**
   * An order just placed through the order service, and its customer's token for the delivery service
   * (the same person, signed with the key the delivery service under test trusts).
   */
  async function justPlaced(): Promise<{ orderId: string; customerToken: string }> {
    const customer = await newCustomer(peers);
    const order = await placeOrder(orders.baseUrl, customer, restaurant);
    return { orderId: order.id, customerToken: token('customer', customer.id) };
  }

  it('when its customer tracks it, then 200 with status pending and nulls for the delivery, and the copy stays untouched', async () => {
    const { orderId, customerToken } = await justPlaced();

    const res = await trackOver(service, orderId, customerToken);

    expect(res.status).toBe(200);
    expect(res.body).toEqual(trackingBeforeDelivery(orderId));
    expect(await world.orderCopy(orderId)).toBeUndefined();
  });

  it("when its restaurant's owner or an admin tracks it, then 200; another customer, then 403 FORBIDDEN", async () => {
    const { orderId } = await justPlaced();

    for (const allowed of [token('restaurant_owner', restaurant.ownerId), user('admin').token]) {
      const res = await trackOver(service, orderId, allowed);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ orderId, status: 'pending' });
    }
    const stranger = await trackOver(service, orderId, user('customer').token);
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.code).toBe('FORBIDDEN');
  });

  it('when its customer tracks it over the socket, then the ack carries the tracking, and the order service was asked once', async () => {
    const { orderId, customerToken } = await justPlaced();
    const socket = await open(service, customerToken);
    const answered = async () =>
      metricValue((await http('GET', `${orders.baseUrl}/metrics`)).body, 'http_request_duration_seconds_count', {
        route: '/internal/orders/:id',
        status_code: '200',
      });
    const before = await answered();

    const ack = await socket.emitWithAck('track', { orderId });

    expect(ack).toEqual({
      ok: true,
      tracking: trackingBeforeDelivery(orderId),
    });
    expect((await answered()) - before).toBe(1);
  });

  it('when the order service does not know the order either, then 404 NOT_FOUND over REST and the socket', async () => {
    await refusedEverywhere(service, randomUUID(), 404, 'NOT_FOUND');
  });
});

describe('when the order service is down', () => {
  let service: Instance;

  beforeAll(async () => {
    // startInstance's own order service address: a port nobody listens on.
    service = await startInstance();
  });

  afterAll(async () => {
    await service?.close();
  });

  it('when the copy has no row for the order, then 503 DEPENDENCY_UNAVAILABLE over REST and the socket', async () => {
    await refusedEverywhere(service, randomUUID(), 503, 'DEPENDENCY_UNAVAILABLE');
  });

  it('when the copy has the order, then tracking answers from it without asking the order service', async () => {
    const { ref, customer } = await world.placedOrder();

    const res = await trackOver(service, ref.orderId, customer.token);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ orderId: ref.orderId, status: 'pending', driver: null });
  });
});
