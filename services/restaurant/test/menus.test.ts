import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@foodflow/platform/testing';
import {
  createCategory,
  createItem,
  createRestaurant,
  startRestaurantService,
  type TestRestaurantService,
} from './support.js';

let service: TestRestaurantService;
let owner: string;
let restaurantId: string;

const menu = async (id = restaurantId) => http('GET', `${service.baseUrl}/api/restaurants/${id}/menu`);
/** The items the public menu lists in this category, in the order it lists them. */
const itemsOf = async (categoryId: string, id = restaurantId) =>
  (await menu(id)).body.categories.find((c: { id: string }) => c.id === categoryId).items;

beforeAll(async () => {
  service = await startRestaurantService();
  owner = service.token('restaurant_owner');
  restaurantId = (await createRestaurant(service, owner)).id;
});
afterAll(() => service.close());

describe('categories', () => {
  it('when the owner adds categories without positions, then they go last, in order', async () => {
    const own = (await createRestaurant(service, owner)).id;
    const starters = await createCategory(service, owner, own, 'Starters');
    const mains = await createCategory(service, owner, own, 'Mains');
    expect(starters).toEqual({ id: expect.any(String), restaurantId: own, name: 'Starters', position: 0 });
    expect(mains.position).toBe(1);
    const response = await menu(own);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      restaurantId: own,
      categories: [
        { id: starters.id, name: 'Starters', position: 0, items: [] },
        { id: mains.id, name: 'Mains', position: 1, items: [] },
      ],
    });
  });

  it('when categories change position or name, then the menu follows the new order', async () => {
    const own = (await createRestaurant(service, owner)).id;
    const first = await createCategory(service, owner, own, 'First');
    const drinks = await createCategory(service, owner, own, 'Drinks');
    const moved = await http('PUT', `${service.baseUrl}/api/menus/categories/${first.id}`, {
      token: owner,
      body: { position: 2 },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ ...first, position: 2 });
    const renamed = await http('PUT', `${service.baseUrl}/api/menus/categories/${drinks.id}`, {
      token: owner,
      body: { name: 'Beverages' },
    });
    expect(renamed.body).toEqual({ ...drinks, name: 'Beverages' });
    const names = (await menu(own)).body.categories.map((c: { name: string }) => c.name);
    expect(names).toEqual(['Beverages', 'First']);
  });

  it('when categories are given positions, then the menu lists them by position, not in the order they were added', async () => {
    const own = (await createRestaurant(service, owner)).id;
    for (const [name, position] of [
      ['Desserts', 30],
      ['Starters', 10],
      ['Mains', 20],
    ] as const) {
      const response = await http('POST', `${service.baseUrl}/api/menus/categories`, {
        token: owner,
        body: { restaurantId: own, name, position },
      });
      expect(response.body).toMatchObject({ name, position });
    }
    const names = (await menu(own)).body.categories.map((c: { name: string }) => c.name);
    expect(names).toEqual(['Starters', 'Mains', 'Desserts']);
  });

  it('when another owner adds a category to the restaurant, then 403', async () => {
    const response = await http('POST', `${service.baseUrl}/api/menus/categories`, {
      token: service.token('restaurant_owner'),
      body: { restaurantId, name: 'Intruders' },
    });
    expect(response.status).toBe(403);
  });

  it('when a customer adds a category, then 403', async () => {
    const response = await http('POST', `${service.baseUrl}/api/menus/categories`, {
      token: service.token('customer'),
      body: { restaurantId, name: 'Mine' },
    });
    expect(response.status).toBe(403);
  });

  it('when an admin adds a category to any restaurant, then 201', async () => {
    const response = await http('POST', `${service.baseUrl}/api/menus/categories`, {
      token: service.token('admin'),
      body: { restaurantId, name: 'Specials' },
    });
    expect(response.status).toBe(201);
  });

  it('when the restaurant does not exist, then 404', async () => {
    const response = await http('POST', `${service.baseUrl}/api/menus/categories`, {
      token: owner,
      body: { restaurantId: randomUUID(), name: 'Ghost' },
    });
    expect(response.status).toBe(404);
  });

  it.each([
    ['no name', { restaurantId: randomUUID() }],
    ['a negative position', { restaurantId: randomUUID(), name: 'X', position: -1 }],
    ['an unknown field', { restaurantId: randomUUID(), name: 'X', colour: 'red' }],
    ['a restaurant id that is not a uuid', { restaurantId: 'abc', name: 'X' }],
  ])('when the body has %s, then 400', async (_, body) => {
    const response = await http('POST', `${service.baseUrl}/api/menus/categories`, { token: owner, body });
    expect(response.status).toBe(400);
  });

  it('when another owner renames or deletes a category, then 403', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const other = service.token('restaurant_owner');
    const put = await http('PUT', `${service.baseUrl}/api/menus/categories/${category.id}`, {
      token: other,
      body: { name: 'Mine now' },
    });
    const del = await http('DELETE', `${service.baseUrl}/api/menus/categories/${category.id}`, { token: other });
    expect([put.status, del.status]).toEqual([403, 403]);
  });

  it('when a category with items is deleted, then it and its items leave the menu and cannot be edited', async () => {
    const category = await createCategory(service, owner, restaurantId, 'Seasonal');
    const item = await createItem(service, owner, category.id);
    const response = await http('DELETE', `${service.baseUrl}/api/menus/categories/${category.id}`, { token: owner });
    expect(response.status).toBe(204);
    const ids = (await menu()).body.categories.map((c: { id: string }) => c.id);
    expect(ids).not.toContain(category.id);
    const again = await http('DELETE', `${service.baseUrl}/api/menus/categories/${category.id}`, { token: owner });
    expect(again.status).toBe(404);
    const editItem = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, {
      token: owner,
      body: { priceCents: 1 },
    });
    expect(editItem.status).toBe(404);
    const { rows } = await service.db.query('SELECT deleted_at FROM menu_items WHERE id = $1', [item.id]);
    expect(rows[0]?.deleted_at).toBeInstanceOf(Date);
  });

  it('when the category does not exist, then PUT and DELETE answer 404', async () => {
    const put = await http('PUT', `${service.baseUrl}/api/menus/categories/${randomUUID()}`, {
      token: owner,
      body: { name: 'X' },
    });
    const del = await http('DELETE', `${service.baseUrl}/api/menus/categories/${randomUUID()}`, { token: owner });
    expect([put.status, del.status]).toEqual([404, 404]);
  });
});

describe('items', () => {
  it('when the owner adds an item, then it is returned whole and the menu shows it so', async () => {
    const category = await createCategory(service, owner, restaurantId, 'Pasta');
    const item = await createItem(service, owner, category.id, {
      name: 'Carbonara',
      description: 'Guanciale, egg, pecorino',
      priceCents: 1450,
      imageUrl: 'https://images.example.com/carbonara.jpg',
    });
    expect(item).toEqual({
      id: expect.any(String),
      categoryId: category.id,
      restaurantId,
      name: 'Carbonara',
      description: 'Guanciale, egg, pecorino',
      priceCents: 1450,
      isAvailable: true,
      imageUrl: 'https://images.example.com/carbonara.jpg',
      position: 0,
    });
    expect(await itemsOf(category.id)).toEqual([item]);
  });

  it('when items are added without a position, then each goes last in its category', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const first = await createItem(service, owner, category.id);
    const placed = await createItem(service, owner, category.id, { position: 5 });
    const last = await createItem(service, owner, category.id);
    expect([first.position, placed.position, last.position]).toEqual([0, 5, 6]);
    expect(await itemsOf(category.id)).toEqual([first, placed, last]);
  });

  it('when items are given positions, then the menu lists them by position, not in the order they were added', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const third = await createItem(service, owner, category.id, { name: 'Tiramisu', position: 30 });
    const first = await createItem(service, owner, category.id, { name: 'Bruschetta', position: 10 });
    const second = await createItem(service, owner, category.id, { name: 'Lasagna', position: 20 });
    expect(await itemsOf(category.id)).toEqual([first, second, third]);
  });

  it('when the owner moves an item with a new position, then the menu lists it there', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const a = await createItem(service, owner, category.id, { position: 10 });
    const b = await createItem(service, owner, category.id, { position: 20 });
    const c = await createItem(service, owner, category.id, { position: 30 });
    const moved = await http('PUT', `${service.baseUrl}/api/menus/items/${c.id}`, {
      token: owner,
      body: { position: 15 },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ ...c, position: 15 });
    expect(await itemsOf(category.id)).toEqual([a, moved.body, b]);
  });

  it('when two items share a position, then the one added first is listed first', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const earlier = await createItem(service, owner, category.id, { position: 1 });
    const later = await createItem(service, owner, category.id, { position: 1 });
    const before = await createItem(service, owner, category.id, { position: 0 });
    expect(await itemsOf(category.id)).toEqual([before, earlier, later]);
  });

  it('when the owner changes an item, then the whole item is returned and the menu shows it', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, category.id);
    const response = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, {
      token: owner,
      body: { priceCents: 999, isAvailable: false },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...item, priceCents: 999, isAvailable: false });
  });

  it('when an item moves to a category of the same restaurant, then it appears there', async () => {
    const from = await createCategory(service, owner, restaurantId);
    const to = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, from.id);
    const response = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, {
      token: owner,
      body: { categoryId: to.id },
    });
    expect(response.status).toBe(200);
    const target = (await menu()).body.categories.find((c: { id: string }) => c.id === to.id);
    expect(target.items.map((i: { id: string }) => i.id)).toEqual([item.id]);
  });

  it('when an item moves to another category without a position, then it goes last there', async () => {
    const from = await createCategory(service, owner, restaurantId);
    const to = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, from.id, { position: 0 });
    const staying = [await createItem(service, owner, to.id), await createItem(service, owner, to.id)];
    const response = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, {
      token: owner,
      body: { categoryId: to.id },
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...item, categoryId: to.id, position: 2 });
    expect(await itemsOf(to.id)).toEqual([...staying, response.body]);
  });

  it('when an item moves to another category with a position, then it takes that position there', async () => {
    const from = await createCategory(service, owner, restaurantId);
    const to = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, from.id, { position: 7 });
    const first = await createItem(service, owner, to.id, { position: 10 });
    const second = await createItem(service, owner, to.id, { position: 20 });
    const response = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, {
      token: owner,
      body: { categoryId: to.id, position: 15 },
    });
    expect(response.body).toEqual({ ...item, categoryId: to.id, position: 15 });
    expect(await itemsOf(to.id)).toEqual([first, response.body, second]);
  });

  it('when an item is sent its own category, then it keeps its place', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, category.id);
    const next = await createItem(service, owner, category.id);
    const response = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, {
      token: owner,
      body: { categoryId: category.id, name: 'Renamed' },
    });
    expect(response.body).toEqual({ ...item, name: 'Renamed' });
    expect(await itemsOf(category.id)).toEqual([response.body, next]);
  });

  it('when an item moves to a category of another restaurant, then 400 and it stays', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, category.id);
    const elsewhere = await createCategory(service, owner, (await createRestaurant(service, owner)).id);
    const response = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, {
      token: owner,
      body: { categoryId: elsewhere.id },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details[0].path).toBe('categoryId');
  });

  it('when an item is deleted, then it leaves the menu but stays stored for history', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, category.id);
    const response = await http('DELETE', `${service.baseUrl}/api/menus/items/${item.id}`, { token: owner });
    expect(response.status).toBe(204);
    const listed = (await menu()).body.categories.find((c: { id: string }) => c.id === category.id);
    expect(listed.items).toEqual([]);
    const { rows } = await service.db.query('SELECT name, deleted_at FROM menu_items WHERE id = $1', [item.id]);
    expect(rows[0]?.name).toBe(item.name);
    expect(rows[0]?.deleted_at).toBeInstanceOf(Date);
    const again = await http('DELETE', `${service.baseUrl}/api/menus/items/${item.id}`, { token: owner });
    expect(again.status).toBe(404);
  });

  it('when another owner adds, changes or deletes an item, then 403 and the item is unchanged', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, category.id);
    const other = service.token('restaurant_owner');
    const post = await http('POST', `${service.baseUrl}/api/menus/items`, {
      token: other,
      body: { categoryId: category.id, name: 'Sneaky', priceCents: 1 },
    });
    const put = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, {
      token: other,
      body: { priceCents: 1 },
    });
    const del = await http('DELETE', `${service.baseUrl}/api/menus/items/${item.id}`, { token: other });
    expect([post.status, put.status, del.status]).toEqual([403, 403, 403]);
    const listed = (await menu()).body.categories.find((c: { id: string }) => c.id === category.id);
    expect(listed.items).toEqual([item]);
  });

  it.each(['customer', 'driver'] as const)('when a %s writes items, then 403', async (role) => {
    const category = await createCategory(service, owner, restaurantId);
    const response = await http('POST', `${service.baseUrl}/api/menus/items`, {
      token: service.token(role),
      body: { categoryId: category.id, name: 'X', priceCents: 100 },
    });
    expect(response.status).toBe(403);
  });

  it('when an admin changes any item, then 200', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, category.id);
    const response = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, {
      token: service.token('admin'),
      body: { name: 'Chef special' },
    });
    expect(response.status).toBe(200);
  });

  it('when the category or the item does not exist, then 404', async () => {
    const post = await http('POST', `${service.baseUrl}/api/menus/items`, {
      token: owner,
      body: { categoryId: randomUUID(), name: 'X', priceCents: 100 },
    });
    const put = await http('PUT', `${service.baseUrl}/api/menus/items/${randomUUID()}`, {
      token: owner,
      body: { name: 'X' },
    });
    const del = await http('DELETE', `${service.baseUrl}/api/menus/items/${randomUUID()}`, { token: owner });
    expect([post.status, put.status, del.status]).toEqual([404, 404, 404]);
  });

  it.each([
    ['a negative price', { priceCents: -5 }],
    ['a fractional price', { priceCents: 9.5 }],
    ['an image that is not a URL', { imageUrl: 'not a url' }],
    ['an unknown field', { restaurantId: randomUUID() }],
  ])('when the body has %s, then 400', async (_, overrides) => {
    const category = await createCategory(service, owner, restaurantId);
    const response = await http('POST', `${service.baseUrl}/api/menus/items`, {
      token: owner,
      body: { categoryId: category.id, name: 'X', priceCents: 100, ...overrides },
    });
    expect(response.status).toBe(400);
  });

  it('when an item update is empty, then 400', async () => {
    const category = await createCategory(service, owner, restaurantId);
    const item = await createItem(service, owner, category.id);
    const response = await http('PUT', `${service.baseUrl}/api/menus/items/${item.id}`, { token: owner, body: {} });
    expect(response.status).toBe(400);
  });
});

describe('GET /api/restaurants/:id/menu', () => {
  it('when the restaurant does not exist, then 404', async () => {
    expect((await menu(randomUUID())).status).toBe(404);
  });
});
