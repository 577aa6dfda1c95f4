import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { http } from '@foodflow/platform/testing';

/** What a person does through the public API, in a few words each. */
export interface Account {
  id: string;
  token: string;
  email: string;
}

export async function register(baseUrl: string, role: 'customer' | 'restaurant_owner' | 'driver'): Promise<Account> {
  const email = `${role}.${randomUUID()}@example.test`;
  const res = await http('POST', `${baseUrl}/api/auth/register`, {
    body: { email, password: 'correct-horse-battery', firstName: `First${role}`, lastName: 'Tester', role },
  });
  if (res.status !== 201) throw new Error(`register ${role}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, token: res.body.accessToken, email };
}

/** Open every day, all day, so the tests do not depend on the clock. */
const allDay = Array.from({ length: 7 }, (_, day) => ({ day, open: '00:00', close: '24:00' }));

export const CITY = { lat: 40.7128, lng: -74.006 };

export async function openRestaurant(
  baseUrl: string,
  owner: Account,
): Promise<{ restaurantId: string; itemIds: string[] }> {
  const restaurant = await http('POST', `${baseUrl}/api/restaurants`, {
    token: owner.token,
    body: {
      name: `Journey Kitchen ${randomUUID().slice(0, 8)}`,
      description: 'Soups and noodles',
      cuisine: 'thai',
      address: { street: '1 Test Street', city: 'New York', postalCode: '10001', location: CITY },
      openingHours: allDay,
      deliveryFeeCents: 299,
      minOrderCents: 500,
      prepTimeMinutes: 15,
    },
  });
  if (restaurant.status !== 201) throw new Error(`restaurant: ${restaurant.status} ${JSON.stringify(restaurant.body)}`);
  const restaurantId: string = restaurant.body.id;
  const category = await http('POST', `${baseUrl}/api/menus/categories`, {
    token: owner.token,
    body: { restaurantId, name: 'Mains' },
  });
  const itemIds: string[] = [];
  for (const [name, priceCents] of [
    ['Pad Thai', 1250],
    ['Green Curry', 1400],
  ] as const) {
    const item = await http('POST', `${baseUrl}/api/menus/items`, {
      token: owner.token,
      body: { categoryId: category.body.id, name, priceCents },
    });
    if (item.status !== 201) throw new Error(`item: ${item.status} ${JSON.stringify(item.body)}`);
    itemIds.push(item.body.id);
  }
  return { restaurantId, itemIds };
}

export async function saveAddress(baseUrl: string, customer: Account): Promise<string> {
  const res = await http('POST', `${baseUrl}/api/users/addresses`, {
    token: customer.token,
    body: {
      label: 'Home',
      street: '350 5th Ave',
      city: 'New York',
      postalCode: '10118',
      location: { lat: 40.7484, lng: -73.9857 },
    },
  });
  if (res.status !== 201) throw new Error(`address: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

/** Fills the cart and checks out; returns the created order. */
export async function placeOrder(
  baseUrl: string,
  customer: Account,
  addressId: string,
  itemIds: string[],
): Promise<{ id: string; [key: string]: unknown }> {
  for (const menuItemId of itemIds) {
    const added = await http('POST', `${baseUrl}/api/cart/items`, {
      token: customer.token,
      body: { menuItemId, quantity: 1 },
    });
    if (added.status !== 200) throw new Error(`cart: ${added.status} ${JSON.stringify(added.body)}`);
  }
  const order = await http('POST', `${baseUrl}/api/orders`, {
    token: customer.token,
    headers: { 'idempotency-key': randomUUID() },
    body: { addressId, payment: { method: 'card', cardToken: 'tok_visa' } },
  });
  if (order.status !== 201) throw new Error(`checkout: ${order.status} ${JSON.stringify(order.body)}`);
  return order.body;
}

export async function setStatus(baseUrl: string, account: Account, orderId: string, status: string) {
  return http('PUT', `${baseUrl}/api/orders/${orderId}/status`, { token: account.token, body: { status } });
}

/** A Socket.IO client connected through the given base URL, collecting every event it receives. */
export async function connectSocket(
  baseUrl: string,
  token: string,
): Promise<{ socket: Socket; received: { event: string; payload: any }[] }> {
  const socket = io(baseUrl, { auth: { token }, transports: ['websocket'], reconnection: false });
  const received: { event: string; payload: any }[] = [];
  socket.onAny((event: string, payload: unknown) => received.push({ event, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, received };
}
