import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@foodflow/platform/testing';
import {
  ALWAYS_OPEN,
  createRestaurant,
  restaurantBody,
  startRestaurantService,
  type TestRestaurantService,
} from './support.js';

let service: TestRestaurantService;
let url: string;
const ownerId = randomUUID();
let owner: string;

beforeAll(async () => {
  service = await startRestaurantService();
  url = `${service.baseUrl}/api/restaurants`;
  owner = service.token('restaurant_owner', ownerId);
});
afterAll(() => service.close());

describe('POST /api/restaurants', () => {
  it('when an owner creates a restaurant, then it is returned whole, owned by them, with defaults', async () => {
    const body = restaurantBody();
    delete (body as { timeZone?: string }).timeZone;
    const response = await http('POST', url, { token: owner, body });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      ownerId,
      name: body.name,
      description: 'Seasonal plates',
      cuisine: 'italian',
      phone: '+1 212 555 0100',
      address: body.address,
      timeZone: 'America/New_York',
      openingHours: ALWAYS_OPEN,
      isAcceptingOrders: true,
      isOpen: true,
      rating: 0,
      deliveryFeeCents: 299,
      minOrderCents: 1000,
      prepTimeMinutes: 20,
    });
    const read = await http('GET', `${url}/${response.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(response.body);
  });

  it('when an admin creates a restaurant, then it is created', async () => {
    const response = await http('POST', url, { token: service.token('admin'), body: restaurantBody() });
    expect(response.status).toBe(201);
  });

  it.each(['customer', 'driver'] as const)('when a %s creates a restaurant, then 403', async (role) => {
    const response = await http('POST', url, { token: service.token(role), body: restaurantBody() });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
  });

  it('when no token is sent, then 401', async () => {
    const response = await http('POST', url, { body: restaurantBody() });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['an unknown time zone', { timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
    ['a close before the open', { openingHours: [{ day: 1, open: '18:00', close: '09:00' }] }, 'openingHours.0'],
    ['a close equal to the open', { openingHours: [{ day: 1, open: '09:00', close: '09:00' }] }, 'openingHours.0'],
    ['an open of 24:00', { openingHours: [{ day: 1, open: '24:00', close: '24:00' }] }, 'openingHours.0.open'],
    ['a day out of range', { openingHours: [{ day: 7, open: '09:00', close: '17:00' }] }, 'openingHours.0.day'],
    ['a time that is not HH:MM', { openingHours: [{ day: 1, open: '9am', close: '17:00' }] }, 'openingHours.0.open'],
    [
      'overlapping periods',
      {
        openingHours: [
          { day: 2, open: '09:00', close: '14:00' },
          { day: 2, open: '13:00', close: '22:00' },
        ],
      },
      'openingHours',
    ],
    ['a cuisine that is not a lowercase slug', { cuisine: 'Thai Food' }, 'cuisine'],
    ['a negative fee', { deliveryFeeCents: -1 }, 'deliveryFeeCents'],
    [
      'a latitude out of range',
      { address: { street: 's', city: 'c', postalCode: 'p', location: { lat: 91, lng: 0 } } },
      'address.location.lat',
    ],
    ['an unknown field', { rating: 5 }, 'rating'],
    ['a smuggled owner', { ownerId: randomUUID() }, 'ownerId'],
  ])('when the body has %s, then 400 naming the field', async (_, overrides, path) => {
    const response = await http('POST', url, { token: owner, body: restaurantBody(overrides) });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('when a required field is missing, then 400', async () => {
    const { name: _name, ...body } = restaurantBody();
    const response = await http('POST', url, { token: owner, body });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('name');
  });

  it('when hours run past midnight as two entries and close at 24:00, then they are accepted', async () => {
    const openingHours = [
      { day: 5, open: '18:00', close: '24:00' },
      { day: 6, open: '00:00', close: '02:00' },
    ];
    const created = await createRestaurant(service, owner, { openingHours });
    expect(created.openingHours).toEqual(openingHours);
  });
});

describe('PUT /api/restaurants/:id', () => {
  it('when the owner changes a subset, then the whole updated restaurant is returned and read back', async () => {
    const created = await createRestaurant(service, owner);
    const response = await http('PUT', `${url}/${created.id}`, {
      token: owner,
      body: { name: 'Renamed', isAcceptingOrders: false },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...created, name: 'Renamed', isAcceptingOrders: false, isOpen: false });
    expect((await http('GET', `${url}/${created.id}`)).body).toEqual(response.body);
  });

  it('when an admin changes any restaurant, then 200', async () => {
    const created = await createRestaurant(service, owner);
    const response = await http('PUT', `${url}/${created.id}`, {
      token: service.token('admin'),
      body: { prepTimeMinutes: 45 },
    });
    expect(response.status).toBe(200);
    expect(response.body.prepTimeMinutes).toBe(45);
  });

  it('when another owner changes it, then 403 and nothing changes', async () => {
    const created = await createRestaurant(service, owner);
    const response = await http('PUT', `${url}/${created.id}`, {
      token: service.token('restaurant_owner'),
      body: { name: 'Hijacked' },
    });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
    expect((await http('GET', `${url}/${created.id}`)).body.name).toBe(created.name);
  });

  it.each(['customer', 'driver'] as const)('when a %s changes it, then 403', async (role) => {
    const created = await createRestaurant(service, owner);
    const response = await http('PUT', `${url}/${created.id}`, { token: service.token(role), body: { name: 'X' } });
    expect(response.status).toBe(403);
  });

  it('when the restaurant does not exist, then 404', async () => {
    const response = await http('PUT', `${url}/${randomUUID()}`, { token: owner, body: { name: 'Nobody' } });
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  it('when the body is empty, then 400', async () => {
    const created = await createRestaurant(service, owner);
    const response = await http('PUT', `${url}/${created.id}`, { token: owner, body: {} });
    expect(response.status).toBe(400);
  });

  it('when the body has an unknown field or a bad time zone, then 400', async () => {
    const created = await createRestaurant(service, owner);
    for (const body of [{ ownerId: randomUUID() }, { timeZone: 'Nowhere/Special' }, { id: randomUUID() }]) {
      const response = await http('PUT', `${url}/${created.id}`, { token: owner, body });
      expect(response.status).toBe(400);
    }
  });
});

describe('GET /api/restaurants/:id', () => {
  it('when the id is unknown, then 404', async () => {
    const response = await http('GET', `${url}/${randomUUID()}`);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('NOT_FOUND');
  });

  it('when the id is not a uuid, then 400', async () => {
    const response = await http('GET', `${url}/not-a-uuid`);
    expect(response.status).toBe(400);
  });
});

describe('isOpen', () => {
  // Monday 2026-01-05 12:00 UTC: 07:00 in New York, 21:00 in Tokyo, 02:00 in Honolulu (all Monday).
  const monday = new Date('2026-01-05T12:00:00Z');
  let clocked: TestRestaurantService;
  let token: string;

  beforeAll(async () => {
    clocked = await startRestaurantService({ clock: () => monday });
    token = clocked.token('restaurant_owner');
  });
  afterAll(() => clocked.close());

  const openAt = async (overrides: Record<string, unknown>): Promise<boolean> => {
    const created = await createRestaurant(clocked, token, overrides);
    const read = await http('GET', `${clocked.baseUrl}/api/restaurants/${created.id}`);
    expect(read.body.isOpen).toBe(created.isOpen);
    return created.isOpen as boolean;
  };

  it('when now is inside the hours in the restaurant time zone, then it is open', async () => {
    expect(await openAt({ timeZone: 'Asia/Tokyo', openingHours: [{ day: 1, open: '20:00', close: '22:00' }] })).toBe(
      true,
    );
  });

  it('when the same hours are read in another time zone, then it is closed', async () => {
    expect(
      await openAt({ timeZone: 'America/New_York', openingHours: [{ day: 1, open: '20:00', close: '22:00' }] }),
    ).toBe(false);
  });

  it('when the period closes at 24:00, then the late evening counts as open', async () => {
    expect(await openAt({ timeZone: 'Asia/Tokyo', openingHours: [{ day: 1, open: '18:00', close: '24:00' }] })).toBe(
      true,
    );
  });

  it('when now is exactly the closing minute, then it is closed', async () => {
    expect(await openAt({ timeZone: 'Asia/Tokyo', openingHours: [{ day: 1, open: '09:00', close: '21:00' }] })).toBe(
      false,
    );
  });

  it('when the hours are on another weekday, then it is closed', async () => {
    expect(await openAt({ timeZone: 'Asia/Tokyo', openingHours: [{ day: 2, open: '00:00', close: '24:00' }] })).toBe(
      false,
    );
  });

  it('when the second entry of overnight hours covers now, then it is open', async () => {
    // 02:00 Monday in Honolulu, within Sunday night's 18:00-24:00 + Monday 00:00-03:00.
    const openingHours = [
      { day: 0, open: '18:00', close: '24:00' },
      { day: 1, open: '00:00', close: '03:00' },
    ];
    expect(await openAt({ timeZone: 'Pacific/Honolulu', openingHours })).toBe(true);
  });

  it('when it is inside hours but not accepting orders, then it is closed', async () => {
    expect(await openAt({ isAcceptingOrders: false })).toBe(false);
  });
});
