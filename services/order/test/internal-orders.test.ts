import { randomUUID } from 'node:crypto';
import { signServiceToken } from '@foodflow/platform';
import { http } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  newCustomer,
  orderIn,
  type OrderServiceUnderTest,
  PeerServices,
  placeOrder,
  type Restaurant,
  startOrderService,
} from './support.js';

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

const tokenFrom = (caller: string) => signServiceToken(svc.config.internal.secret, caller, 'order-service');

const lookUp = (orderId: string, serviceToken?: string) =>
  http('GET', `${svc.baseUrl}/internal/orders/${orderId}`, {
    headers: serviceToken === undefined ? {} : { authorization: `Service ${serviceToken}` },
  });

describe('GET /internal/orders/:id', () => {
  it('when the delivery service asks for an order, then it gets its parties and status, nothing more', async () => {
    const customer = await newCustomer(peers);
    const order = await placeOrder(svc.baseUrl, customer, restaurant);

    const res = await lookUp(order.id, tokenFrom('delivery-service'));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: order.id,
      customerId: customer.id,
      restaurantId: restaurant.restaurantId,
      restaurantOwnerId: restaurant.ownerId,
      status: 'pending',
      driverId: null,
    });
  });

  it('when the order has moved on and has a driver, then the answer is where it stands now', async () => {
    const { id, delivery } = await orderIn(svc, peers, restaurant, 'preparing');

    const res = await lookUp(id, tokenFrom('delivery-service'));

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'preparing', driverId: delivery.driverId });
  });

  it('when another service asks, then 403; without a service token, then 401', async () => {
    const order = await placeOrder(svc.baseUrl, await newCustomer(peers), restaurant);

    const wrongCaller = await lookUp(order.id, tokenFrom('restaurant-service'));
    expect(wrongCaller.status).toBe(403);
    expect(wrongCaller.body.error.code).toBe('FORBIDDEN');

    const anonymous = await lookUp(order.id);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when the order is unknown or the id malformed, then 404 and 400 in the error shape', async () => {
    const unknown = await lookUp(randomUUID(), tokenFrom('delivery-service'));
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      error: { code: 'NOT_FOUND', message: expect.any(String), requestId: expect.any(String) },
    });

    const malformed = await lookUp('12345', tokenFrom('delivery-service'));
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [expect.objectContaining({ path: 'id' })],
    });
  });
});
