import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signServiceToken } from '@foodflow/platform';
import { http } from '@foodflow/platform/testing';
import {
  createCategory,
  createItem,
  createRestaurant,
  startRestaurantService,
  type TestRestaurantService,
} from './support.js';

let service: TestRestaurantService;
let ownerId: string;
let owner: string;
let restaurant: { id: string; name: string; address: { location: { lat: number; lng: number } } };
let pizza: { id: string; name: string };
let salad: { id: string; name: string };

const asCaller = (caller: string, target = 'restaurant-service') => ({
  authorization: `Service ${signServiceToken(service.config.internal.secret, caller, target)}`,
});
const price = (body: unknown, headers: Record<string, string> = asCaller('order-service')) =>
  http('POST', `${service.baseUrl}/internal/pricing`, { body, headers });

beforeAll(async () => {
  service = await startRestaurantService();
  ownerId = randomUUID();
  owner = service.token('restaurant_owner', ownerId);
  restaurant = await createRestaurant(service, owner, { deliveryFeeCents: 399, minOrderCents: 1500 });
  const category = await createCategory(service, owner, restaurant.id);
  pizza = await createItem(service, owner, category.id, { name: 'Margherita', priceCents: 1200 });
  salad = await createItem(service, owner, category.id, { name: 'Caesar', priceCents: 850 });
});
afterAll(() => service.close());

describe('POST /internal/pricing', () => {
  it('when the order service prices lines, then it gets the restaurant and each line at current prices', async () => {
    const response = await price({
      items: [
        { menuItemId: pizza.id, quantity: 2 },
        { menuItemId: salad.id, quantity: 1 },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      restaurant: {
        restaurantId: restaurant.id,
        ownerId,
        name: restaurant.name,
        location: restaurant.address.location,
        currency: 'USD',
        deliveryFeeCents: 399,
        minOrderCents: 1500,
        isOpen: true,
        isAcceptingOrders: true,
      },
      lines: [
        {
          menuItemId: pizza.id,
          name: 'Margherita',
          unitPriceCents: 1200,
          quantity: 2,
          lineTotalCents: 2400,
          isAvailable: true,
        },
        {
          menuItemId: salad.id,
          name: 'Caesar',
          unitPriceCents: 850,
          quantity: 1,
          lineTotalCents: 850,
          isAvailable: true,
        },
      ],
    });
  });

  it('when a price changes, then the next pricing uses the new one', async () => {
    const category = await createCategory(service, owner, restaurant.id);
    const item = await createItem(service, owner, category.id, { priceCents: 500 });
    await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, { token: owner, body: { priceCents: 650 } });
    const response = await price({ items: [{ menuItemId: item.id, quantity: 3 }] });
    expect(response.body.lines[0]).toMatchObject({ unitPriceCents: 650, lineTotalCents: 1950 });
  });

  it('when an item is marked unavailable or deleted, then its line says isAvailable false', async () => {
    const category = await createCategory(service, owner, restaurant.id);
    const off = await createItem(service, owner, category.id, { isAvailable: false });
    const gone = await createItem(service, owner, category.id);
    await http('DELETE', `${service.baseUrl}/api/menus/items/${gone.id}`, { token: owner });
    const response = await price({
      items: [
        { menuItemId: off.id, quantity: 1 },
        { menuItemId: gone.id, quantity: 1 },
        { menuItemId: pizza.id, quantity: 1 },
      ],
    });
    expect(response.status).toBe(200);
    expect(response.body.lines.map((l: { isAvailable: boolean }) => l.isAvailable)).toEqual([false, false, true]);
  });

  it('when the restaurant stops accepting orders, then isOpen and isAcceptingOrders are false', async () => {
    const closed = await createRestaurant(service, owner, { isAcceptingOrders: false });
    const item = await createItem(service, owner, (await createCategory(service, owner, closed.id)).id);
    const response = await price({ items: [{ menuItemId: item.id, quantity: 1 }] });
    expect(response.body.restaurant).toMatchObject({ isOpen: false, isAcceptingOrders: false });
  });

  it('when some items never existed, then 404 naming each unknown line', async () => {
    const unknown = randomUUID();
    const response = await price({
      items: [
        { menuItemId: pizza.id, quantity: 1 },
        { menuItemId: unknown, quantity: 1 },
      ],
    });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
    expect(response.body.error.details).toEqual([{ path: 'items.1.menuItemId', message: `no menu item ${unknown}` }]);
  });

  it('when the items belong to different restaurants, then 409 CART_RESTAURANT_MISMATCH', async () => {
    const other = await createRestaurant(service, service.token('restaurant_owner'));
    const foreign = await createItem(
      service,
      service.token('admin'),
      (await createCategory(service, service.token('admin'), other.id)).id,
    );
    const response = await price({
      items: [
        { menuItemId: pizza.id, quantity: 1 },
        { menuItemId: foreign.id, quantity: 1 },
      ],
    });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('CART_RESTAURANT_MISMATCH');
    expect(response.body.error.details).toEqual([
      { path: 'items.0.menuItemId', message: `belongs to restaurant ${restaurant.id}` },
      { path: 'items.1.menuItemId', message: `belongs to restaurant ${other.id}` },
    ]);
  });

  it.each([
    ['no items', { items: [] }],
    ['a quantity of 0', { items: [{ menuItemId: randomUUID(), quantity: 0 }] }],
    ['a quantity over 50', { items: [{ menuItemId: randomUUID(), quantity: 51 }] }],
    ['an id that is not a uuid', { items: [{ menuItemId: 'pizza', quantity: 1 }] }],
    ['a client-supplied price', { items: [{ menuItemId: randomUUID(), quantity: 1, unitPriceCents: 1 }] }],
  ])('when the request has %s, then 400', async (_, body) => {
    const response = await price(body);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when no service token is sent, then 401', async () => {
    const response = await price({ items: [{ menuItemId: pizza.id, quantity: 1 }] }, {});
    expect(response.status).toBe(401);
  });

  it('when a user access token is sent instead, then 401', async () => {
    const response = await price(
      { items: [{ menuItemId: pizza.id, quantity: 1 }] },
      { authorization: `Bearer ${service.token('admin')}` },
    );
    expect(response.status).toBe(401);
  });

  it('when the token is signed with another secret or for another service, then 401', async () => {
    const forged = `Service ${signServiceToken('another-secret-of-at-least-thirty-two-chars', 'order-service', 'restaurant-service')}`;
    const misaddressed = asCaller('order-service', 'user-service');
    expect((await price({ items: [] }, { authorization: forged })).status).toBe(401);
    expect((await price({ items: [] }, misaddressed)).status).toBe(401);
  });

  it('when another service calls, then 403', async () => {
    const response = await price({ items: [{ menuItemId: pizza.id, quantity: 1 }] }, asCaller('delivery-service'));
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
  });
});
