import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@foodflow/platform/testing';
import { createRestaurant, uniquePlace, north, startRestaurantService, type TestRestaurantService } from './support.js';

/**
 * Six restaurants around a point no other test is given, so every search near it sees only them. Monday
 * 2026-01-05 12:00 UTC is the service's "now".
 */
const now = new Date('2026-01-05T12:00:00Z');
let centre: { lat: number; lng: number };
const tag = randomUUID().slice(0, 8);
let service: TestRestaurantService;
let ids: Record<string, string>;
let ownerId: string;

const search = async (query: string) => {
  const response = await http('GET', `${service.baseUrl}/api/restaurants?${query}`);
  return response;
};
const names = async (query: string): Promise<string[]> => {
  const response = await search(`near=${centre.lat},${centre.lng}&radiusKm=50&${query}`);
  expect(response.status).toBe(200);
  return response.body.data.map((r: { name: string }) => r.name);
};

beforeAll(async () => {
  centre = await uniquePlace();
  service = await startRestaurantService({ clock: () => now });
  const owner = service.token('restaurant_owner');
  const spec = [
    // name, km north of the centre, cuisine, rating, open now (Tokyo 21:00 Monday)?
    ['Alpha Noodles', 1, 'japanese', 4.5, true, `Hand-pulled ${tag} ramen`],
    ['Bravo Tacos', 3, 'mexican', 3.9, false, 'Street tacos'],
    ['Charlie Curry', 6, 'indian', 4.8, true, 'Slow curries'],
    ['Delta Diner', 12, 'american', 2.5, true, 'Burgers'],
    ['Echo Sushi', 20, 'japanese', 4.1, true, 'Omakase'],
    ['Far Foxtrot', 80, 'japanese', 5.0, true, 'Too far away'],
  ] as const;
  ids = {};
  for (const [name, km, cuisine, rating, open, description] of spec) {
    const created = await createRestaurant(
      service,
      owner,
      {
        name,
        cuisine,
        description,
        timeZone: 'Asia/Tokyo',
        openingHours: [{ day: 1, open: open ? '20:00' : '10:00', close: open ? '23:00' : '12:00' }],
      },
      north(centre, km),
    );
    ids[name] = created.id;
    ownerId = created.ownerId;
    // Ratings come from reviews (seed data for now), never from the API.
    await service.db.query('UPDATE restaurants SET rating = $2 WHERE id = $1', [created.id, rating]);
  }
});
afterAll(() => service.close());

describe('GET /api/restaurants near', () => {
  it('when near is given, then only restaurants within the default 10 km come back, nearest first, with distances', async () => {
    const response = await search(`near=${centre.lat},${centre.lng}`);
    expect(response.status).toBe(200);
    expect(response.body.data.map((r: { name: string }) => r.name)).toEqual([
      'Alpha Noodles',
      'Bravo Tacos',
      'Charlie Curry',
    ]);
    const distances = response.body.data.map((r: { distanceKm: number }) => r.distanceKm);
    expect(distances[0]).toBeCloseTo(1, 1);
    expect(distances[1]).toBeCloseTo(3, 1);
    expect(distances[2]).toBeCloseTo(6, 1);
    expect(response.body).toMatchObject({ page: 1, pageSize: 20, total: 3 });
  });

  it('when radiusKm widens the circle, then farther restaurants join', async () => {
    expect(await names('')).toEqual(['Alpha Noodles', 'Bravo Tacos', 'Charlie Curry', 'Delta Diner', 'Echo Sushi']);
  });

  it('when near is absent, then no distanceKm is given', async () => {
    const response = await search(`q=${tag}`);
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(1);
    expect(response.body.data[0]).not.toHaveProperty('distanceKm');
  });
});

describe('GET /api/restaurants filters', () => {
  it('when q matches a name in another case, then it is found', async () => {
    expect(await names('q=CURRY')).toEqual(['Charlie Curry']);
  });

  it('when q matches a description or a cuisine, then those are found', async () => {
    expect(await names(`q=${tag.toUpperCase()}`)).toEqual(['Alpha Noodles']);
    expect(await names('q=mexic')).toEqual(['Bravo Tacos']);
  });

  it('when q holds LIKE wildcards, then they match literally', async () => {
    expect(await names('q=%25')).toEqual([]);
    expect(await names('q=_')).toEqual([]);
  });

  it('when cuisine is given, then only that cuisine comes back', async () => {
    expect(await names('cuisine=japanese')).toEqual(['Alpha Noodles', 'Echo Sushi']);
  });

  it("when ownerId is given, then only that owner's restaurants come back", async () => {
    // Beyond the 50 km the other searches here use, so they never see it.
    const theirs = await createRestaurant(service, service.token('restaurant_owner'), {}, north(centre, 90));
    const listed = await search(`ownerId=${theirs.ownerId}`);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((r: { id: string }) => r.id)).toEqual([theirs.id]);
    expect(await names(`ownerId=${ownerId}&cuisine=japanese`)).toEqual(['Alpha Noodles', 'Echo Sushi']);
    expect((await search(`ownerId=${randomUUID()}`)).body).toMatchObject({ data: [], total: 0 });
  });

  it('when minRating is given, then lower ratings are left out', async () => {
    expect(await names('minRating=4.2&sort=name')).toEqual(['Alpha Noodles', 'Charlie Curry']);
  });

  it('when isOpen=true or false is given, then it splits by hours in the restaurant time zone', async () => {
    expect(await names('isOpen=true&sort=name')).toEqual([
      'Alpha Noodles',
      'Charlie Curry',
      'Delta Diner',
      'Echo Sushi',
    ]);
    expect(await names('isOpen=false')).toEqual(['Bravo Tacos']);
  });

  it('when a restaurant stops accepting orders, then isOpen=true leaves it out', async () => {
    const owner = service.token('admin');
    await http('PUT', `${service.baseUrl}/api/restaurants/${ids['Delta Diner']}`, {
      token: owner,
      body: { isAcceptingOrders: false },
    });
    expect(await names('isOpen=true&sort=name')).toEqual(['Alpha Noodles', 'Charlie Curry', 'Echo Sushi']);
    await http('PUT', `${service.baseUrl}/api/restaurants/${ids['Delta Diner']}`, {
      token: owner,
      body: { isAcceptingOrders: true },
    });
  });
});

describe('GET /api/restaurants sort and paging', () => {
  it('when sort=rating, then highest rating first', async () => {
    expect(await names('sort=rating')).toEqual([
      'Charlie Curry',
      'Alpha Noodles',
      'Echo Sushi',
      'Bravo Tacos',
      'Delta Diner',
    ]);
  });

  it('when sort=name, then alphabetical', async () => {
    expect(await names('sort=name')).toEqual([
      'Alpha Noodles',
      'Bravo Tacos',
      'Charlie Curry',
      'Delta Diner',
      'Echo Sushi',
    ]);
  });

  it('when sort=popular, then the restaurants with more orders come first', async () => {
    await service.db.query('UPDATE restaurants SET order_count = $2 WHERE id = $1', [ids['Echo Sushi'], 7]);
    await service.db.query('UPDATE restaurants SET order_count = $2 WHERE id = $1', [ids['Bravo Tacos'], 3]);
    expect((await names('sort=popular')).slice(0, 2)).toEqual(['Echo Sushi', 'Bravo Tacos']);
  });

  it('when paging, then each page holds its slice and the total counts all matches', async () => {
    const first = await search(`near=${centre.lat},${centre.lng}&radiusKm=50&sort=name&pageSize=2&page=1`);
    const third = await search(`near=${centre.lat},${centre.lng}&radiusKm=50&sort=name&pageSize=2&page=3`);
    const beyond = await search(`near=${centre.lat},${centre.lng}&radiusKm=50&sort=name&pageSize=2&page=9`);
    expect(first.body).toMatchObject({ page: 1, pageSize: 2, total: 5 });
    expect(first.body.data.map((r: { name: string }) => r.name)).toEqual(['Alpha Noodles', 'Bravo Tacos']);
    expect(third.body.data.map((r: { name: string }) => r.name)).toEqual(['Echo Sushi']);
    expect(beyond.body).toEqual({ data: [], page: 9, pageSize: 2, total: 5 });
  });

  it('when a new restaurant opens in the area, then the very next search shows it', async () => {
    expect(await names('sort=name')).not.toContain('Golf Grill');
    await createRestaurant(service, service.token('restaurant_owner'), { name: 'Golf Grill' }, north(centre, 2));
    expect(await names('sort=name')).toContain('Golf Grill');
  });
});

describe('GET /api/restaurants validation', () => {
  it.each([
    ['pageSize over 100', 'pageSize=101'],
    ['pageSize 0', 'pageSize=0'],
    ['page 0', 'page=0'],
    ['near without a comma', 'near=40.7'],
    ['near out of range', 'near=91,0'],
    ['near not numbers', 'near=abc,def'],
    ['radiusKm over the maximum', `near=0,0&radiusKm=51`],
    ['radiusKm without near', 'radiusKm=5'],
    ['sort=distance without near', 'sort=distance'],
    ['an unknown sort', 'sort=price'],
    ['isOpen not a boolean', 'isOpen=maybe'],
    ['minRating over 5', 'minRating=6'],
    ['a cuisine that is not a slug', 'cuisine=Thai%20Food'],
    ['an ownerId that is not a UUID', 'ownerId=me'],
    ['an unknown parameter', 'colour=red'],
  ])('when the query has %s, then 400', async (_, query) => {
    const response = await search(query);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
  });
});
