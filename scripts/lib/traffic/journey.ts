import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { http, type JsonResponse } from '@foodflow/platform/testing';

/**
 * What a person does through the public API, in a few words each: the whole-stack tests play their
 * stories with these, and the traffic simulator plays many people at once with the same calls.
 */

export interface Account {
  id: string;
  token: string;
  email: string;
  refreshToken: string;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

/** Something that sends a request to the gateway and answers whatever it answered (never throws on 4xx/5xx). */
export interface Client {
  readonly baseUrl: string;
  send<T = any>(method: string, path: string, options?: RequestOptions): Promise<JsonResponse<T>>;
}

/** Where the calls go: the gateway's base URL (plain requests), or a client that paces and counts them. */
export type Api = string | Client;

const send = <T = any>(api: Api, method: string, path: string, options: RequestOptions = {}) =>
  typeof api === 'string' ? http<T>(method, `${api}${path}`, options) : api.send<T>(method, path, options);

/** The body of an answer with the expected status, or an error naming the step, the status and the body. */
export function expectStatus<T>(step: string, res: JsonResponse<T>, status: number): T {
  if (res.status !== status) throw new Error(`${step}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export type SelfServiceRole = 'customer' | 'restaurant_owner' | 'driver';

export interface Person {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
}

/** The password of the people the tests register when they name none. */
const PASSWORD = 'correct-horse-battery';

export async function register(api: Api, role: SelfServiceRole, person?: Person): Promise<Account> {
  const { email, ...rest } = person ?? {
    email: `${role}.${randomUUID()}@example.test`,
    password: PASSWORD,
    firstName: `First${role}`,
    lastName: 'Tester',
  };
  const res = await send(api, 'POST', '/api/auth/register', { body: { email, ...rest, role } });
  const body = expectStatus(`register ${role}`, res, 201);
  return { id: body.user.id, token: body.accessToken, email, refreshToken: body.refreshToken };
}

/** Open every day, all day, so stories do not depend on the clock. */
const allDay = Array.from({ length: 7 }, (_, day) => ({ day, open: '00:00', close: '24:00' }));

export const CITY = { lat: 40.7128, lng: -74.006 };

export interface LatLng {
  lat: number;
  lng: number;
}

export async function openRestaurant(
  api: Api,
  owner: Account,
  place: { name: string; location: LatLng } = { name: `Journey Kitchen ${randomUUID().slice(0, 8)}`, location: CITY },
): Promise<{ restaurantId: string; itemIds: string[] }> {
  const restaurant = await send(api, 'POST', '/api/restaurants', {
    token: owner.token,
    body: {
      name: place.name,
      description: 'Soups and noodles',
      cuisine: 'thai',
      address: { street: '1 Test Street', city: 'New York', postalCode: '10001', location: place.location },
      openingHours: allDay,
      deliveryFeeCents: 299,
      minOrderCents: 500,
      prepTimeMinutes: 15,
    },
  });
  const restaurantId: string = expectStatus('restaurant', restaurant, 201).id;
  const category = await send(api, 'POST', '/api/menus/categories', {
    token: owner.token,
    body: { restaurantId, name: 'Mains' },
  });
  const categoryId: string = expectStatus('category', category, 201).id;
  const itemIds: string[] = [];
  for (const [name, priceCents] of [
    ['Pad Thai', 1250],
    ['Green Curry', 1400],
  ] as const) {
    const item = await send(api, 'POST', '/api/menus/items', {
      token: owner.token,
      body: { categoryId, name, priceCents },
    });
    itemIds.push(expectStatus('item', item, 201).id);
  }
  return { restaurantId, itemIds };
}

export async function saveAddress(
  api: Api,
  customer: Account,
  location: LatLng = { lat: 40.7484, lng: -73.9857 },
): Promise<string> {
  const res = await send(api, 'POST', '/api/users/addresses', {
    token: customer.token,
    body: { label: 'Home', street: '350 5th Ave', city: 'New York', postalCode: '10118', location },
  });
  return expectStatus('address', res, 201).id;
}

/** Fills the cart and checks out (with `checkoutHeaders` on the checkout, e.g. a trace); returns the created order. */
export async function placeOrder(
  api: Api,
  customer: Account,
  addressId: string,
  itemIds: string[],
  checkoutHeaders: Record<string, string> = {},
): Promise<{ id: string; [key: string]: unknown }> {
  for (const menuItemId of itemIds) {
    const added = await send(api, 'POST', '/api/cart/items', {
      token: customer.token,
      body: { menuItemId, quantity: 1 },
    });
    expectStatus('cart', added, 200);
  }
  const order = await send(api, 'POST', '/api/orders', {
    token: customer.token,
    headers: { ...checkoutHeaders, 'idempotency-key': randomUUID() },
    body: { addressId, payment: { method: 'card', cardToken: 'tok_visa' } },
  });
  return expectStatus('checkout', order, 201);
}

export async function setStatus(api: Api, account: Account, orderId: string, status: string) {
  return send(api, 'PUT', `/api/orders/${orderId}/status`, { token: account.token, body: { status } });
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
