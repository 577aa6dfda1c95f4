import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@foodflow/platform/testing';
import { type OrderServiceUnderTest, PeerServices, startOrderService, tokenFor } from './support.js';

const peers = new PeerServices();
let svc: OrderServiceUnderTest;
let url: string;

beforeAll(async () => {
  await peers.start();
  svc = await startOrderService({ peers });
  url = `${svc.baseUrl}/api/cart`;
});

afterAll(async () => {
  await svc?.close();
  await peers.stop();
});

const add = (token: string, body: unknown) => http('POST', `${url}/items`, { token, body });

describe('cart', () => {
  it('when a customer has never added anything, then the cart is empty', async () => {
    const res = await http('GET', url, { token: tokenFor('customer') });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ restaurantId: null, items: [], subtotalCents: 0 });
  });

  it('when a customer adds items, then they are priced from the menu and the cart expires in 7 days', async () => {
    const restaurant = await peers.addRestaurant();
    const [pizza, dessert] = restaurant.items;
    const customerId = randomUUID();
    const token = tokenFor('customer', customerId);

    await add(token, { menuItemId: pizza.id, quantity: 2 });
    const res = await add(token, { menuItemId: dessert.id, quantity: 1 });

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      restaurantId: restaurant.restaurantId,
      items: [
        { menuItemId: pizza.id, name: 'Margherita', unitPriceCents: 900, quantity: 2, lineTotalCents: 1800 },
        { menuItemId: dessert.id, name: 'Tiramisu', unitPriceCents: 550, quantity: 1, lineTotalCents: 550 },
      ],
      subtotalCents: 2350,
    });
    const ttl = await svc.redis.ttl(`order:cart:${customerId}`);
    expect(ttl).toBeGreaterThan(7 * 24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600);
  });

  it('when an item already in the cart is added again, then its quantity is set to the new one', async () => {
    const restaurant = await peers.addRestaurant();
    const item = restaurant.items[0];
    const token = tokenFor('customer');

    await add(token, { menuItemId: item.id, quantity: 3 });
    const lowered = await add(token, { menuItemId: item.id, quantity: 1 });
    const raised = await add(token, { menuItemId: item.id, quantity: 50 });

    expect(lowered.body.items).toEqual([expect.objectContaining({ menuItemId: item.id, quantity: 1 })]);
    expect(raised.body.items).toEqual([expect.objectContaining({ quantity: 50, lineTotalCents: 45_000 })]);
  });

  it('when an item of another restaurant is added, then 409 CART_RESTAURANT_MISMATCH and the cart is unchanged', async () => {
    const first = await peers.addRestaurant();
    const second = await peers.addRestaurant();
    const token = tokenFor('customer');
    await add(token, { menuItemId: first.items[0].id, quantity: 1 });

    const res = await add(token, { menuItemId: second.items[0].id, quantity: 1 });

    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CART_RESTAURANT_MISMATCH');
    const cart = await http('GET', url, { token });
    expect(cart.body.restaurantId).toBe(first.restaurantId);
    expect(cart.body.items).toHaveLength(1);
  });

  it('when the last item is removed, then the cart is empty and may take another restaurant', async () => {
    const first = await peers.addRestaurant();
    const second = await peers.addRestaurant();
    const token = tokenFor('customer');
    await add(token, { menuItemId: first.items[0].id, quantity: 1 });
    await add(token, { menuItemId: first.items[1].id, quantity: 1 });

    const partly = await http('DELETE', `${url}/items/${first.items[0].id}`, { token });
    expect(partly.status).toBe(200);
    expect(partly.body.items.map((i: { menuItemId: string }) => i.menuItemId)).toEqual([first.items[1].id]);

    const emptied = await http('DELETE', `${url}/items/${first.items[1].id}`, { token });
    expect(emptied.body).toEqual({ restaurantId: null, items: [], subtotalCents: 0 });
    const other = await add(token, { menuItemId: second.items[0].id, quantity: 1 });
    expect(other.status).toBe(200);
    expect(other.body.restaurantId).toBe(second.restaurantId);
  });

  it('when an item not in the cart is removed, then the cart is returned unchanged', async () => {
    const restaurant = await peers.addRestaurant();
    const token = tokenFor('customer');
    await add(token, { menuItemId: restaurant.items[0].id, quantity: 1 });

    const res = await http('DELETE', `${url}/items/${randomUUID()}`, { token });

    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
  });

  it('when two customers fill carts, then each sees only their own', async () => {
    const restaurant = await peers.addRestaurant();
    const alice = tokenFor('customer');
    const bob = tokenFor('customer');
    await add(alice, { menuItemId: restaurant.items[0].id, quantity: 4 });

    const bobsCart = await http('GET', url, { token: bob });

    expect(bobsCart.body.items).toEqual([]);
  });

  it.each([
    ['a zero quantity', { quantity: 0 }],
    ['a quantity over 50', { quantity: 51 }],
    ['a fractional quantity', { quantity: 1.5 }],
    ['a missing quantity', { quantity: undefined }],
    ['a menu item id that is not a UUID', { menuItemId: 'pizza' }],
    ['a client-supplied price', { unitPriceCents: 1 }],
  ])('when the request has %s, then 400 VALIDATION_FAILED', async (_case, change) => {
    const restaurant = await peers.addRestaurant();
    const res = await add(tokenFor('customer'), { menuItemId: restaurant.items[0].id, quantity: 1, ...change });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when the path id is not a UUID, then 400', async () => {
    const res = await http('DELETE', `${url}/items/not-a-uuid`, { token: tokenFor('customer') });
    expect(res.status).toBe(400);
  });

  it('when the menu item does not exist, then 404 NOT_FOUND', async () => {
    const res = await add(tokenFor('customer'), { menuItemId: randomUUID(), quantity: 1 });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('when the menu item is switched off, then 409 ITEM_UNAVAILABLE', async () => {
    const restaurant = await peers.addRestaurant();
    const item = restaurant.items[0];
    await peers.changeItem(restaurant, item, { isAvailable: false });
    const res = await add(tokenFor('customer'), { menuItemId: item.id, quantity: 1 });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('ITEM_UNAVAILABLE');
  });

  it.each(['restaurant_owner', 'driver', 'admin'] as const)('when a %s uses the cart, then 403', async (role) => {
    const restaurant = await peers.addRestaurant();
    const token = tokenFor(role);
    const [get, post, del] = await Promise.all([
      http('GET', url, { token }),
      add(token, { menuItemId: restaurant.items[0].id, quantity: 1 }),
      http('DELETE', `${url}/items/${restaurant.items[0].id}`, { token }),
    ]);
    expect([get.status, post.status, del.status]).toEqual([403, 403, 403]);
    expect(get.body.error.code).toBe('FORBIDDEN');
  });

  it('when no token is given, then 401', async () => {
    const res = await http('GET', url);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when the restaurant service is down, then adding answers 503 while the stored cart stays readable', async () => {
    const restaurant = await peers.addRestaurant();
    const token = tokenFor('customer');
    await add(token, { menuItemId: restaurant.items[0].id, quantity: 1 });
    await peers.stopRestaurantService();
    try {
      const res = await add(token, { menuItemId: restaurant.items[1].id, quantity: 1 });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
      const cart = await http('GET', url, { token });
      expect(cart.status).toBe(200);
      expect(cart.body.items).toHaveLength(1);
    } finally {
      await peers.startRestaurantService();
    }
  });
});
