import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http } from '@foodflow/platform/testing';
import { type Account, CITY, openRestaurant, placeOrder, register, saveAddress, setStatus } from '../system/support.js';
import { type Answer, AUTHORIZATION, type Caller, CALLERS } from './authorization-matrix.js';
import { contractKeys, endpointKey, serviceEndpoints } from './endpoints.js';
import { errorShapeProblems } from './error-shape.js';
import { everyRole, PASSWORD, type ProofStack, type Role, startProofStack } from './proof-stack.js';

/**
 * The authorization matrix (authorization-matrix.ts) checked cell by cell through the gateway, against
 * real users of every role and real restaurants, orders and deliveries made for them through the API.
 * Each cell sends the request that would succeed for someone allowed, so a refusal is the authorization
 * speaking, not a bad body.
 */
type Ownership = 'own' | 'other';

interface CellRequest {
  method?: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Replaces the caller's token (a session the cell ends, for instance). */
  token?: string;
}

interface Shop {
  owner: Account;
  restaurantId: string;
  categoryId: string;
  itemIds: string[];
}

let proof: ProofStack;
let me: Record<Role, Account>;
/** The other party of every kind: another customer, owner and driver, with their own things. */
let others: { customer: Account; restaurant_owner: Account; driver: Account };
let myShop: Shop;
let otherShop: Shop;
let addressOf: Map<string, string>;
/** An order whose customer, restaurant owner and driver are all `me`, and one whose parties are all `others`. */
let myOrder: { id: string; deliveryId: string };
let otherOrder: { id: string; deliveryId: string };

const api = (path: string): string => proof.api(path);

async function shopOf(owner: Account): Promise<Shop> {
  const { restaurantId, itemIds } = await openRestaurant(proof.stack.gatewayUrl, owner);
  const menu = await http('GET', api(`/api/restaurants/${restaurantId}/menu`));
  return { owner, restaurantId, categoryId: menu.body.categories[0].id, itemIds };
}

const newSession = async (account: Account): Promise<{ accessToken: string; refreshToken: string }> => {
  const res = await http('POST', api('/api/auth/login'), { body: { email: account.email, password: PASSWORD } });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};

const goOnline = async (driver: Account): Promise<void> => {
  const res = await http('PUT', api('/api/drivers/availability'), {
    token: driver.token,
    body: { online: true, location: CITY },
  });
  if (res.status !== 200) throw new Error(`availability: ${res.status} ${JSON.stringify(res.body)}`);
};

/** Takes an order to `ready` and waits until the one driver online has its delivery. */
async function deliveredBy(
  driver: Account,
  shop: Shop,
  customer: Account,
): Promise<{ id: string; deliveryId: string }> {
  const order = await placeOrder(proof.stack.gatewayUrl, customer, addressOf.get(customer.id) ?? '', shop.itemIds);
  for (const status of ['confirmed', 'preparing', 'ready']) {
    const moved = await setStatus(proof.stack.gatewayUrl, shop.owner, order.id, status);
    if (moved.status !== 200) throw new Error(`${status}: ${moved.status} ${JSON.stringify(moved.body)}`);
  }
  await goOnline(driver);
  const deliveryId = await eventually(async () => {
    const res = await http('GET', api('/api/deliveries'), { token: driver.token });
    return res.body.data?.find((d: { orderId: string }) => d.orderId === order.id)?.id as string | undefined;
  }, 20_000);
  return { id: order.id, deliveryId };
}

beforeAll(async () => {
  proof = await startProofStack();
  const gateway = proof.stack.gatewayUrl;
  me = await everyRole(proof);
  const [customer, restaurantOwner, driver] = await Promise.all([
    register(gateway, 'customer'),
    register(gateway, 'restaurant_owner'),
    register(gateway, 'driver'),
  ]);
  others = { customer, restaurant_owner: restaurantOwner, driver };
  [myShop, otherShop] = await Promise.all([shopOf(me.restaurant_owner), shopOf(others.restaurant_owner)]);
  const everyone = [...Object.values(me), ...Object.values(others)];
  addressOf = new Map(await Promise.all(everyone.map(async (a) => [a.id, await saveAddress(gateway, a)] as const)));
  // One driver online at a time, so each delivery goes to the driver meant to have it.
  myOrder = await deliveredBy(me.driver, myShop, me.customer);
  otherOrder = await deliveredBy(others.driver, otherShop, others.customer);
}, 120_000);

afterAll(async () => {
  await proof?.stop();
});

const freshPendingOrder = async (customer: Account, shop: Shop): Promise<string> =>
  (await placeOrder(proof.stack.gatewayUrl, customer, addressOf.get(customer.id) ?? '', shop.itemIds)).id;

const myShopOr = (caller: Caller, ownership: Ownership): Shop =>
  caller === 'restaurant_owner' && ownership === 'own' ? myShop : otherShop;

const restaurantBody = {
  name: 'Matrix Kitchen',
  cuisine: 'thai',
  address: { street: '1 Test Street', city: 'New York', postalCode: '10001', location: CITY },
  openingHours: [{ day: 1, open: '09:00', close: '17:00' }],
  deliveryFeeCents: 299,
  minOrderCents: 500,
  prepTimeMinutes: 15,
};

/** Which callers can own a resource of each kind; for the rest, `own` does not exist and is not sent. */
const owners = {
  address: ['customer', 'restaurant_owner', 'driver', 'admin'],
  session: ['customer', 'restaurant_owner', 'driver', 'admin'],
  menu: ['restaurant_owner'],
  order: ['customer', 'restaurant_owner', 'driver'],
  delivery: ['driver'],
} satisfies Record<string, Caller[]>;

type Kind = keyof typeof owners;
type Build = (caller: Caller, ownership: Ownership) => Promise<CellRequest> | CellRequest;

/**
 * How each route's cell is asked. Routes with a `kind` have an own and another user's version; the
 * others are asked once. A cell whose success would use its resource up gets a fresh one.
 */
const cells: Record<string, { kind?: Kind; build: Build }> = {
  'POST /api/auth/register': {
    build: () => ({
      path: '/api/auth/register',
      body: { email: `matrix.${randomUUID()}@example.test`, password: PASSWORD, firstName: 'Mat', lastName: 'Rix' },
    }),
  },
  'POST /api/auth/login': {
    build: () => ({ path: '/api/auth/login', body: { email: others.customer.email, password: PASSWORD } }),
  },
  'POST /api/auth/refresh': {
    kind: 'session',
    build: async (caller, ownership) => {
      const account = ownership === 'own' && caller !== 'anonymous' ? me[caller] : others.customer;
      return { path: '/api/auth/refresh', body: { refreshToken: (await newSession(account)).refreshToken } };
    },
  },
  'POST /api/auth/logout': {
    kind: 'session',
    build: async (caller, ownership) => {
      const own = caller === 'anonymous' ? undefined : await newSession(me[caller]);
      const refreshToken =
        ownership === 'own' && own ? own.refreshToken : (await newSession(others.customer)).refreshToken;
      return { path: '/api/auth/logout', body: { refreshToken }, ...(own ? { token: own.accessToken } : {}) };
    },
  },
  'GET /api/users/profile': { build: () => ({ path: '/api/users/profile' }) },
  'PUT /api/users/profile': { build: () => ({ path: '/api/users/profile', body: { firstName: 'Renamed' } }) },
  'GET /api/users/addresses': { build: () => ({ path: '/api/users/addresses' }) },
  'POST /api/users/addresses': {
    build: () => ({
      path: '/api/users/addresses',
      body: { label: 'Work', street: '1 Main St', city: 'New York', postalCode: '10001', location: CITY },
    }),
  },
  'PUT /api/users/addresses/{id}': {
    kind: 'address',
    build: (caller, ownership) => ({
      path: `/api/users/addresses/${addressOf.get(ownership === 'own' && caller !== 'anonymous' ? me[caller].id : others.customer.id)}`,
      body: { label: 'Renamed' },
    }),
  },
  'DELETE /api/users/addresses/{id}': {
    kind: 'address',
    build: async (caller, ownership) => ({
      path: `/api/users/addresses/${
        ownership === 'own' && caller !== 'anonymous'
          ? await saveAddress(proof.stack.gatewayUrl, me[caller])
          : addressOf.get(others.customer.id)
      }`,
    }),
  },

  'GET /api/restaurants': { build: () => ({ path: '/api/restaurants' }) },
  'GET /api/restaurants/{id}': {
    kind: 'menu',
    build: (c, o) => ({ path: `/api/restaurants/${myShopOr(c, o).restaurantId}` }),
  },
  'GET /api/restaurants/{id}/menu': {
    kind: 'menu',
    build: (c, o) => ({ path: `/api/restaurants/${myShopOr(c, o).restaurantId}/menu` }),
  },
  'POST /api/restaurants': { build: () => ({ path: '/api/restaurants', body: restaurantBody }) },
  'PUT /api/restaurants/{id}': {
    kind: 'menu',
    build: (c, o) => ({ path: `/api/restaurants/${myShopOr(c, o).restaurantId}`, body: { description: 'Renamed' } }),
  },
  'POST /api/menus/categories': {
    kind: 'menu',
    build: (c, o) => ({
      path: '/api/menus/categories',
      body: { restaurantId: myShopOr(c, o).restaurantId, name: 'New' },
    }),
  },
  'PUT /api/menus/categories/{id}': {
    kind: 'menu',
    build: (c, o) => ({ path: `/api/menus/categories/${myShopOr(c, o).categoryId}`, body: { name: 'Renamed' } }),
  },
  'DELETE /api/menus/categories/{id}': {
    kind: 'menu',
    build: async (c, o) => {
      const shop = myShopOr(c, o);
      const created = await http('POST', api('/api/menus/categories'), {
        token: shop.owner.token,
        body: { restaurantId: shop.restaurantId, name: 'To delete' },
      });
      return { path: `/api/menus/categories/${created.body.id}` };
    },
  },
  'POST /api/menus/items': {
    kind: 'menu',
    build: (c, o) => ({
      path: '/api/menus/items',
      body: { categoryId: myShopOr(c, o).categoryId, name: 'New', priceCents: 900 },
    }),
  },
  'PUT /api/menus/items/{id}': {
    kind: 'menu',
    build: (c, o) => ({ path: `/api/menus/items/${myShopOr(c, o).itemIds[0]}`, body: { priceCents: 1300 } }),
  },
  'DELETE /api/menus/items/{id}': {
    kind: 'menu',
    build: async (c, o) => {
      const shop = myShopOr(c, o);
      const created = await http('POST', api('/api/menus/items'), {
        token: shop.owner.token,
        body: { categoryId: shop.categoryId, name: 'To delete', priceCents: 100 },
      });
      return { path: `/api/menus/items/${created.body.id}` };
    },
  },

  'GET /api/cart': { build: () => ({ path: '/api/cart' }) },
  'POST /api/cart/items': {
    build: () => ({ path: '/api/cart/items', body: { menuItemId: myShop.itemIds[0], quantity: 1 } }),
  },
  'DELETE /api/cart/items/{menuItemId}': { build: () => ({ path: `/api/cart/items/${myShop.itemIds[0]}` }) },
  'POST /api/orders': {
    kind: 'address',
    build: async (caller, ownership) => {
      if (caller === 'customer') {
        await http('POST', api('/api/cart/items'), {
          token: me.customer.token,
          body: { menuItemId: myShop.itemIds[0], quantity: 1 },
        });
      }
      const account = ownership === 'own' && caller !== 'anonymous' ? me[caller] : others.customer;
      return {
        path: '/api/orders',
        headers: { 'idempotency-key': randomUUID() },
        body: { addressId: addressOf.get(account.id), payment: { method: 'cash' } },
      };
    },
  },
  'GET /api/orders': { build: () => ({ path: '/api/orders' }) },
  'GET /api/orders/{id}': {
    kind: 'order',
    build: (_, ownership) => ({ path: `/api/orders/${ownership === 'own' ? myOrder.id : otherOrder.id}` }),
  },
  'PUT /api/orders/{id}/status': {
    kind: 'order',
    build: async (caller, ownership) => {
      const step: Record<Caller, string> = {
        anonymous: 'cancelled',
        customer: 'cancelled',
        restaurant_owner: 'confirmed',
        driver: 'picked_up',
        admin: 'cancelled',
      };
      let orderId = otherOrder.id;
      if (caller === 'customer' && ownership === 'own') orderId = await freshPendingOrder(me.customer, myShop);
      if (caller === 'restaurant_owner' && ownership === 'own')
        orderId = await freshPendingOrder(others.customer, myShop);
      if (caller === 'driver' && ownership === 'own') orderId = myOrder.id;
      if (caller === 'admin') orderId = await freshPendingOrder(others.customer, otherShop);
      return { path: `/api/orders/${orderId}/status`, body: { status: step[caller] } };
    },
  },

  'PUT /api/drivers/availability': {
    build: () => ({ path: '/api/drivers/availability', body: { online: true, location: CITY } }),
  },
  'GET /api/deliveries': { build: () => ({ path: '/api/deliveries' }) },
  'GET /api/deliveries/{id}': {
    kind: 'delivery',
    build: (_, o) => ({ path: `/api/deliveries/${o === 'own' ? myOrder.deliveryId : otherOrder.deliveryId}` }),
  },
  'PUT /api/deliveries/{id}/location': {
    kind: 'delivery',
    build: (_, o) => ({
      path: `/api/deliveries/${o === 'own' ? myOrder.deliveryId : otherOrder.deliveryId}/location`,
      body: { lat: 40.72, lng: -74.0 },
    }),
  },
  'PUT /api/deliveries/{id}/status': {
    kind: 'delivery',
    build: (_, o) => ({
      path: `/api/deliveries/${o === 'own' ? myOrder.deliveryId : otherOrder.deliveryId}/status`,
      body: { status: 'picked_up' },
    }),
  },
  'GET /api/tracking/{orderId}': {
    kind: 'order',
    build: (_, ownership) => ({ path: `/api/tracking/${ownership === 'own' ? myOrder.id : otherOrder.id}` }),
  },
};

const expected = (answer: Answer, ownership: Ownership): number =>
  typeof answer === 'number' ? answer : answer[ownership];

describe('the authorization matrix through the gateway', () => {
  it('when the routes are read from the services, then the matrix has exactly one row for each, covering the contract', async () => {
    const routed = (await serviceEndpoints(proof.stack)).map(endpointKey).sort();
    expect(Object.keys(AUTHORIZATION).sort()).toEqual(routed);
    expect(Object.keys(cells).sort()).toEqual(routed);
    expect(contractKeys().filter((key) => !(key in AUTHORIZATION))).toEqual([]);
  });

  it("when every route is called by every kind of caller on their own and on another user's resource, then each answer is the written one", async () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const [route, row] of Object.entries(AUTHORIZATION)) {
      const cell = cells[route];
      if (!cell) throw new Error(`No way to ask ${route}`);
      const [method = ''] = route.split(' ');
      for (const caller of CALLERS) {
        const canOwn = cell.kind !== undefined && (owners[cell.kind] as Caller[]).includes(caller);
        const ownerships: Ownership[] = canOwn ? ['own', 'other'] : ['other'];
        // Refusals first: a cell that succeeds may use up what the others are asked about.
        for (const ownership of ownerships.sort((a, b) => expected(row[caller], b) - expected(row[caller], a))) {
          const req = await cell.build(caller, ownership);
          const token = req.token ?? (caller === 'anonymous' ? undefined : me[caller].token);
          const res = await http(req.method ?? method, api(req.path), {
            ...(token ? { token } : {}),
            ...(req.body === undefined ? {} : { body: req.body }),
            ...(req.headers ? { headers: req.headers } : {}),
          });
          checked++;
          const want = expected(row[caller], ownership);
          const shape = res.status >= 400 ? errorShapeProblems(res.status, res.headers, JSON.stringify(res.body)) : [];
          if (res.status !== want || shape.length > 0) {
            wrong.push(
              `${route} as ${caller} on ${ownership === 'own' ? 'their own' : "another user's"}: ` +
                `expected ${want}, got ${res.status} ${JSON.stringify(res.body).slice(0, 200)} ${shape.join('; ')}`,
            );
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(Object.keys(AUTHORIZATION).length * CALLERS.length);
  }, 60_000);

  it("when a user signs out presenting another user's refresh token, then that other user's session goes on", async () => {
    const mine = await newSession(me.customer);
    const theirs = await newSession(others.customer);
    const logout = await http('POST', api('/api/auth/logout'), {
      token: mine.accessToken,
      body: { refreshToken: theirs.refreshToken },
    });
    const stillTheirs = await http('POST', api('/api/auth/refresh'), { body: { refreshToken: theirs.refreshToken } });

    expect(logout.status).toBe(204);
    expect(stillTheirs.status).toBe(200);
  });
});
