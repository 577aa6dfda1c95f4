import { randomUUID } from 'node:crypto';
import { signServiceToken } from '@foodflow/platform';
import { http } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressRepository } from '../src/addresses/address.repository.js';
import { FieldCipher } from '../src/security/field-cipher.js';
import {
  PASSWORD,
  register,
  type Registered,
  sampleAddress,
  startUserService,
  type TestUserService,
} from './support.js';

let svc: TestUserService;
let url: (path?: string) => string;

beforeAll(async () => {
  svc = await startUserService();
  url = (path = '') => `${svc.baseUrl}/api/users/addresses${path}`;
});
afterAll(() => svc.close());

const create = (session: Registered, body: Record<string, unknown> = sampleAddress()) =>
  http('POST', url(), { token: session.accessToken, body });
const list = async (session: Registered) =>
  (await http('GET', url(), { token: session.accessToken })).body.data as { id: string; isDefault: boolean }[];
const defaults = async (session: Registered) => (await list(session)).filter((a) => a.isDefault).map((a) => a.id);

describe('POST /api/users/addresses', () => {
  it('when the first address is saved, then it returns 201 with the address and it becomes the default', async () => {
    const session = await register(svc.baseUrl);
    const res = await create(session);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), ...sampleAddress(), isDefault: true });
  });

  it('when a second address is saved without isDefault, then the first stays the default', async () => {
    const session = await register(svc.baseUrl);
    const first = (await create(session)).body;
    const second = (await create(session, sampleAddress({ label: 'Work' }))).body;
    expect(second.isDefault).toBe(false);
    expect(await defaults(session)).toEqual([first.id]);
  });

  it('when a new address is saved as default, then the old default is unset', async () => {
    const session = await register(svc.baseUrl);
    await create(session);
    const second = (await create(session, sampleAddress({ label: 'Work', isDefault: true }))).body;
    expect(second.isDefault).toBe(true);
    expect(await defaults(session)).toEqual([second.id]);
  });

  it('when many addresses are saved as default at once, then exactly one ends up the default', async () => {
    const session = await register(svc.baseUrl);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => create(session, sampleAddress({ label: `Place ${i}`, isDefault: true }))),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    expect(await defaults(session)).toHaveLength(1);
  });

  it('when the address is stored, then street, postal code and location are not plaintext in the table', async () => {
    const session = await register(svc.baseUrl);
    const { body } = await create(session);
    const { rows } = await svc.db.query('SELECT * FROM addresses WHERE id = $1', [body.id]);
    const row = rows[0] as Record<string, unknown>;
    const raw = JSON.stringify(row);
    expect(raw).not.toContain('Fifth Avenue');
    expect(raw).not.toContain('10118');
    expect(raw).not.toContain('40.7484');
    expect(row['street_encrypted']).toMatch(/^v2:k1:/);
    expect(row['city']).toBe('New York');
  });

  it.each([
    ['no label', sampleAddress({ label: undefined }), 'label'],
    ['an empty street', sampleAddress({ street: '' }), 'street'],
    ['a latitude of 91', sampleAddress({ location: { lat: 91, lng: 0 } }), 'location.lat'],
    ['a longitude of -181', sampleAddress({ location: { lat: 0, lng: -181 } }), 'location.lng'],
    ['a location without lng', sampleAddress({ location: { lat: 1 } }), 'location.lng'],
    ['a postal code with symbols', sampleAddress({ postalCode: '<script>' }), 'postalCode'],
    ['a userId', sampleAddress({ userId: randomUUID() }), 'userId'],
    ['an id', sampleAddress({ id: randomUUID() }), 'id'],
    ['a createdAt', sampleAddress({ createdAt: '2020-01-01T00:00:00Z' }), 'createdAt'],
  ])('when the body has %s, then it answers 400 naming the field and saves nothing', async (_case, body, path) => {
    const session = await register(svc.baseUrl);
    const res = await create(session, JSON.parse(JSON.stringify(body)));
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect(await list(session)).toEqual([]);
  });

  it('when there is no token, then it answers 401', async () => {
    expect((await http('POST', url(), { body: sampleAddress() })).status).toBe(401);
  });
});

describe('GET /api/users/addresses', () => {
  it('when a user lists, then they see only their own addresses, default first', async () => {
    const session = await register(svc.baseUrl);
    const stranger = await register(svc.baseUrl);
    await create(stranger);
    await create(session, sampleAddress({ label: 'A' }));
    const b = (await create(session, sampleAddress({ label: 'B', isDefault: true }))).body;
    const res = await http('GET', url(), { token: session.accessToken });
    expect(res.status).toBe(200);
    expect(res.body.data.map((a: { label: string }) => a.label)).toEqual(['B', 'A']);
    expect(res.body.data[0]).toEqual(b);
  });

  it('when there is no token, then it answers 401', async () => {
    const res = await http('GET', url());
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when the user has none, then the list is empty', async () => {
    const session = await register(svc.baseUrl);
    expect((await http('GET', url(), { token: session.accessToken })).body).toEqual({ data: [] });
  });
});

describe('PUT /api/users/addresses/:id', () => {
  it('when some fields change, then it returns 200 with the whole address', async () => {
    const session = await register(svc.baseUrl);
    const created = (await create(session)).body;
    const res = await http('PUT', url(`/${created.id}`), {
      token: session.accessToken,
      body: { street: '1 Main Street', location: { lat: 40.7, lng: -74 } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...created, street: '1 Main Street', location: { lat: 40.7, lng: -74 } });
  });

  it('when another address is made the default, then the old default is unset', async () => {
    const session = await register(svc.baseUrl);
    await create(session);
    const second = (await create(session, sampleAddress({ label: 'Work' }))).body;
    const res = await http('PUT', url(`/${second.id}`), { token: session.accessToken, body: { isDefault: true } });
    expect(res.body.isDefault).toBe(true);
    expect(await defaults(session)).toEqual([second.id]);
  });

  it('when the default is set to not default, then it answers 409 and it stays the default', async () => {
    const session = await register(svc.baseUrl);
    const only = (await create(session)).body;
    const res = await http('PUT', url(`/${only.id}`), { token: session.accessToken, body: { isDefault: false } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('CONFLICT');
    expect(await defaults(session)).toEqual([only.id]);
  });

  it("when the address is another user's, then it answers 404 and changes nothing", async () => {
    const owner = await register(svc.baseUrl);
    const other = await register(svc.baseUrl);
    const address = (await create(owner)).body;
    const res = await http('PUT', url(`/${address.id}`), { token: other.accessToken, body: { label: 'Mine now' } });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect((await list(owner))[0]).toEqual(address);
  });

  it('when the address does not exist, then it answers 404', async () => {
    const session = await register(svc.baseUrl);
    const res = await http('PUT', url(`/${randomUUID()}`), { token: session.accessToken, body: { label: 'X' } });
    expect(res.status).toBe(404);
  });

  it('when the id is not a UUID, then it answers 400', async () => {
    const session = await register(svc.baseUrl);
    const res = await http('PUT', url('/not-a-uuid'), { token: session.accessToken, body: { label: 'X' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('id');
  });

  it('when there is no token, then it answers 401 and changes nothing', async () => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    const res = await http('PUT', url(`/${address.id}`), { body: { label: 'Anonymous' } });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    expect((await list(session))[0]).toEqual(address);
  });

  it.each([
    ['a latitude of 91', { location: { lat: 91, lng: 0 } }, 'location.lat'],
    ['a longitude of 180.5', { location: { lat: 0, lng: 180.5 } }, 'location.lng'],
    ['a location without lat', { location: { lng: 1 } }, 'location.lat'],
    ['an empty label', { label: '' }, 'label'],
    ['a postal code with symbols', { postalCode: '<b>' }, 'postalCode'],
    ['a non-boolean isDefault', { isDefault: 'yes please' }, 'isDefault'],
  ])('when the body has %s, then it answers 400 naming the field and changes nothing', async (_case, body, path) => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    const res = await http('PUT', url(`/${address.id}`), { token: session.accessToken, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await list(session))[0]).toEqual(address);
  });

  it.each([
    ['userId', { userId: randomUUID() }],
    ['id', { id: randomUUID() }],
    ['createdAt', { createdAt: '2020-01-01T00:00:00Z' }],
  ])('when the body sets %s, then it answers 400', async (field, body) => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    const res = await http('PUT', url(`/${address.id}`), { token: session.accessToken, body });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe(field);
  });
});

describe('DELETE /api/users/addresses/:id', () => {
  it('when an address is deleted, then it answers 204 and it is gone', async () => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    const res = await http('DELETE', url(`/${address.id}`), { token: session.accessToken });
    expect(res.status).toBe(204);
    expect(await list(session)).toEqual([]);
  });

  it('when the default is deleted, then the newest remaining address becomes the default', async () => {
    const session = await register(svc.baseUrl);
    const first = (await create(session)).body;
    await create(session, sampleAddress({ label: 'Older' }));
    const newest = (await create(session, sampleAddress({ label: 'Newest' }))).body;
    await http('DELETE', url(`/${first.id}`), { token: session.accessToken });
    expect(await defaults(session)).toEqual([newest.id]);
  });

  it("when the address is another user's, then it answers 404 and it survives", async () => {
    const owner = await register(svc.baseUrl);
    const other = await register(svc.baseUrl);
    const address = (await create(owner)).body;
    const res = await http('DELETE', url(`/${address.id}`), { token: other.accessToken });
    expect(res.status).toBe(404);
    expect(await list(owner)).toHaveLength(1);
  });

  it('when there is no token, then it answers 401 and the address survives', async () => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    const res = await http('DELETE', url(`/${address.id}`));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    expect(await list(session)).toHaveLength(1);
  });

  it('when the id is not a UUID, then it answers 400', async () => {
    const session = await register(svc.baseUrl);
    const res = await http('DELETE', url('/not-a-uuid'), { token: session.accessToken });
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('id');
  });

  it('when it is deleted twice, then the second answers 404', async () => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    await http('DELETE', url(`/${address.id}`), { token: session.accessToken });
    expect((await http('DELETE', url(`/${address.id}`), { token: session.accessToken })).status).toBe(404);
  });
});

describe('GET /internal/users/:userId/addresses/:addressId', () => {
  const internal = (userId: string, addressId: string, token?: string) =>
    http('GET', `${svc.baseUrl}/internal/users/${userId}/addresses/${addressId}`, {
      headers: token ? { authorization: `Service ${token}` } : {},
    });
  const tokenFrom = (caller: string, secret = svc.config.internal.secret) =>
    signServiceToken(secret, caller, 'user-service');

  it('when the order service asks for a saved address, then it gets the decrypted address', async () => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    const res = await internal(session.user.id, address.id, tokenFrom('order-service'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual(address);
  });

  it('when there is no service token, then it answers 401', async () => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    expect((await internal(session.user.id, address.id)).status).toBe(401);
  });

  it("when a user's bearer token is used instead, then it answers 401", async () => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    const res = await http('GET', `${svc.baseUrl}/internal/users/${session.user.id}/addresses/${address.id}`, {
      token: session.accessToken,
    });
    expect(res.status).toBe(401);
  });

  it('when the token is signed with another secret, then it answers 401', async () => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    const forged = tokenFrom('order-service', 'a-different-secret-that-is-long-enough-000');
    expect((await internal(session.user.id, address.id, forged)).status).toBe(401);
  });

  it('when another service calls, then it answers 403', async () => {
    const session = await register(svc.baseUrl);
    const address = (await create(session)).body;
    const res = await internal(session.user.id, address.id, tokenFrom('delivery-service'));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });

  it('when the address belongs to another user, then it answers 404', async () => {
    const owner = await register(svc.baseUrl);
    const other = await register(svc.baseUrl);
    const address = (await create(owner)).body;
    const res = await internal(other.user.id, address.id, tokenFrom('order-service'));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('when the ids are not UUIDs, then it answers 400', async () => {
    expect((await internal('nope', 'nope', tokenFrom('order-service'))).status).toBe(400);
  });
});

describe('the owner lock taken by address changes', () => {
  it('when an address change holds the owner lock, then rows referencing the user can still be inserted (login)', async () => {
    const session = await register(svc.baseUrl);
    const addresses = new AddressRepository(svc.db, new FieldCipher(svc.config.extra.dataKeys));
    await svc.db.transaction(async (q) => {
      expect(await addresses.lockOwner(q, session.user.id)).toBe(true);
      // The lock a foreign-key insert takes on the user row; NOWAIT fails at once if the owner lock conflicts.
      const keyShare = await svc.db.query('SELECT 1 FROM users WHERE id = $1 FOR KEY SHARE NOWAIT', [session.user.id]);
      expect(keyShare.rowCount).toBe(1);
      const login = await http('POST', `${svc.baseUrl}/api/auth/login`, {
        body: { email: session.user.email, password: PASSWORD },
      });
      expect(login.status).toBe(200);
    });
  });
});
