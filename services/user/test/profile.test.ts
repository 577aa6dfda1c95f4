import { createCipheriv, randomBytes } from 'node:crypto';
import { createLogger, createRedis, Database } from '@foodflow/platform';
import { generateTestKeys, http } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FieldCipher, FieldDecryptionError } from '../src/security/field-cipher.js';
import { ProfileCache } from '../src/users/profile-cache.js';
import { toUserResponse } from '../src/users/user.mapper.js';
import { type UserRecord, UserRepository } from '../src/users/user.repository.js';
import { UserService } from '../src/users/user.service.js';
import { dataKeyLine, register, startUserService, type TestUserService } from './support.js';

let svc: TestUserService;
let url: string;

beforeAll(async () => {
  svc = await startUserService();
  url = `${svc.baseUrl}/api/users/profile`;
});
afterAll(() => svc.close());

describe('GET /api/users/profile', () => {
  it('when a user asks, then it returns their own profile without any hash', async () => {
    const session = await register(svc.baseUrl, { phone: '+44 20 7946 0958' });
    const res = await http('GET', url, { token: session.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(session.user);
    expect(Object.keys(res.body).sort()).toEqual([
      'createdAt',
      'email',
      'firstName',
      'id',
      'lastName',
      'phone',
      'role',
    ]);
  });

  it('when the profile is read, then it is cached in Redis, encrypted', async () => {
    const session = await register(svc.baseUrl, { phone: '+1 917 555 0177' });
    await http('GET', url, { token: session.accessToken });
    const cached = (await svc.redis.get(`users:profile:${session.user.id}:0`)) as string;
    expect(cached).not.toContain('555');
    const cipher = new FieldCipher(svc.config.extra.dataKeys);
    expect(JSON.parse(cipher.decrypt(cached, `redis.users:profile:${session.user.id}`))).toEqual(session.user);
  });

  it('when a read that missed the cache finishes after an update, then its stale copy is never served', async () => {
    const session = await register(svc.baseUrl);
    const logger = createLogger({ service: 'user-service-test', silent: true });
    const cipher = new FieldCipher(svc.config.extra.dataKeys);
    const cache = new ProfileCache(svc.redis, cipher, 60, logger);
    const reader = await cache.get(session.user.id);
    expect(reader).toEqual({ profile: undefined, generation: expect.any(String) });
    const stale = toUserResponse((await new UserRepository(svc.db, cipher).findById(session.user.id)) as UserRecord);
    // The update commits and invalidates while the reader still holds the profile it read before.
    const updated = await http('PUT', url, { token: session.accessToken, body: { firstName: 'Renamed' } });
    expect(updated.status).toBe(200);
    await cache.set(stale, reader.generation as string);
    expect((await cache.get(session.user.id)).profile).toBeUndefined();
    const res = await http('GET', url, { token: session.accessToken });
    expect(res.body.firstName).toBe('Renamed');
    expect((await cache.get(session.user.id)).profile?.firstName).toBe('Renamed');
  });

  it('when a profile changes, then the generation key hiding the older entries outlives them and then expires', async () => {
    const session = await register(svc.baseUrl);
    await http('GET', url, { token: session.accessToken });
    await http('PUT', url, { token: session.accessToken, body: { firstName: 'Changed' } });
    const olderEntryTtl = await svc.redis.ttl(`users:profile:${session.user.id}:0`);
    const generationTtl = await svc.redis.ttl(`users:profile-generation:${session.user.id}`);
    expect(olderEntryTtl).toBeGreaterThan(0);
    expect(generationTtl).toBeGreaterThan(olderEntryTtl);
    expect(generationTtl).toBeLessThanOrEqual(2 * svc.config.extra.profileCacheTtlS);
  });

  it('when the cached entry differs from the database, then the cached one is served (reads hit the cache)', async () => {
    const session = await register(svc.baseUrl);
    await http('GET', url, { token: session.accessToken });
    await svc.db.query("UPDATE users SET first_name = 'Changed behind the cache' WHERE id = $1", [session.user.id]);
    const res = await http('GET', url, { token: session.accessToken });
    expect(res.body.firstName).toBe('Test');
  });

  it('when the user no longer exists, then it answers 404', async () => {
    const session = await register(svc.baseUrl);
    await svc.db.query('DELETE FROM users WHERE id = $1', [session.user.id]);
    const res = await http('GET', url, { token: session.accessToken });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});

describe('PUT /api/users/profile', () => {
  it('when names and phone change, then it returns the whole updated user', async () => {
    const session = await register(svc.baseUrl);
    const res = await http('PUT', url, {
      token: session.accessToken,
      body: { firstName: 'Renamed', phone: '+1 (212) 555-0199' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...session.user, firstName: 'Renamed', phone: '+1 (212) 555-0199' });
  });

  it('when the profile was cached, then the next read shows the update', async () => {
    const session = await register(svc.baseUrl);
    expect((await http('GET', url, { token: session.accessToken })).body.lastName).toBe('User');
    await http('PUT', url, { token: session.accessToken, body: { lastName: 'Updated' } });
    const res = await http('GET', url, { token: session.accessToken });
    expect(res.body.lastName).toBe('Updated');
  });

  it('when phone is null, then the phone is removed', async () => {
    const session = await register(svc.baseUrl, { phone: '+1 212 555 0100' });
    const res = await http('PUT', url, { token: session.accessToken, body: { phone: null } });
    expect(res.body.phone).toBeNull();
    const { rows } = await svc.db.query('SELECT phone_encrypted FROM users WHERE id = $1', [session.user.id]);
    expect(rows[0]?.phone_encrypted).toBeNull();
  });

  it('when the body is empty, then nothing changes and the user is returned', async () => {
    const session = await register(svc.baseUrl, { phone: '+1 212 555 0100' });
    const res = await http('PUT', url, { token: session.accessToken, body: {} });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(session.user);
  });

  it.each([
    ['role', { role: 'admin' }],
    ['id', { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7' }],
    ['createdAt', { createdAt: '2000-01-01T00:00:00.000Z' }],
    ['email', { email: 'someone-else@example.com' }],
    ['passwordHash', { passwordHash: 'x' }],
  ])('when the body sets %s, then it answers 400 and changes nothing', async (field, body) => {
    const session = await register(svc.baseUrl);
    const res = await http('PUT', url, { token: session.accessToken, body: { firstName: 'Sneaky', ...body } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([{ path: field, message: expect.stringContaining('not allowed') }]);
    const { rows } = await svc.db.query('SELECT first_name, role FROM users WHERE id = $1', [session.user.id]);
    expect(rows[0]).toEqual({ first_name: 'Test', role: 'customer' });
  });

  it.each([
    ['an empty first name', { firstName: '' }],
    ['a non-string last name', { lastName: 42 }],
    ['a phone with letters', { phone: 'abc' }],
  ])('when the body has %s, then it answers 400', async (_case, body) => {
    const session = await register(svc.baseUrl);
    expect((await http('PUT', url, { token: session.accessToken, body })).status).toBe(400);
  });

  it('when there is no token, then it answers 401', async () => {
    expect((await http('PUT', url, { body: { firstName: 'X' } })).status).toBe(401);
  });
});

describe('encryption at rest', () => {
  it('when a phone is saved, then the column holds key-tagged ciphertext, not the number', async () => {
    const phone = '+1 646 555 0123';
    const session = await register(svc.baseUrl, { phone });
    const { rows } = await svc.db.query('SELECT phone_encrypted FROM users WHERE id = $1', [session.user.id]);
    const stored = rows[0]?.phone_encrypted as string;
    expect(stored).toMatch(/^v2:k1:[\w-]+:[\w-]+:[\w-]+$/);
    expect(stored).not.toContain('646');
    expect(stored).not.toContain(Buffer.from(phone).toString('base64'));
  });

  it('when the keys rotate, then values under the old key still decrypt and new ones use the new key', async () => {
    const keys = generateTestKeys();
    const oldKey = dataKeyLine('old');
    const before = await startUserService({ DATA_ENCRYPTION_KEYS: oldKey }, keys);
    const session = await register(before.baseUrl, { phone: '+1 718 555 0142' });
    await before.close();

    const after = await startUserService({ DATA_ENCRYPTION_KEYS: `${dataKeyLine('new')}\n${oldKey}` }, keys);
    try {
      const read = await http('GET', `${after.baseUrl}/api/users/profile`, { token: session.accessToken });
      expect(read.body.phone).toBe('+1 718 555 0142');
      await http('PUT', `${after.baseUrl}/api/users/profile`, {
        token: session.accessToken,
        body: { phone: '+1 718 555 0143' },
      });
      const { rows } = await after.db.query('SELECT phone_encrypted FROM users WHERE id = $1', [session.user.id]);
      expect(rows[0]?.phone_encrypted).toMatch(/^v2:new:/);
    } finally {
      await after.close();
    }
  });

  it('when a stored value was tampered with, then decryption fails instead of returning garbage', () => {
    const cipher = new FieldCipher([{ id: 'k1', key: Buffer.alloc(32, 7) }]);
    const stored = cipher.encrypt('+1 212 555 0100', 'users.phone_encrypted:a');
    const [v, id, iv, tag, data] = stored.split(':') as [string, string, string, string, string];
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] = (flipped[0] as number) ^ 1;
    const tampered = [v, id, iv, tag, flipped.toString('base64url')].join(':');
    expect(() => cipher.decrypt(tampered, 'users.phone_encrypted:a')).toThrow(FieldDecryptionError);
    expect(cipher.decrypt(stored, 'users.phone_encrypted:a')).toBe('+1 212 555 0100');
  });

  it('when a value is opened under another owner or column, then it fails; values without a context still open', () => {
    const cipher = new FieldCipher([{ id: 'k1', key: Buffer.alloc(32, 7) }]);
    const stored = cipher.encrypt('+1 212 555 0100', 'users.phone_encrypted:a');
    expect(stored).toMatch(/^v2:k1:/);
    expect(() => cipher.decrypt(stored, 'users.phone_encrypted:b')).toThrow(/does not open/);
    expect(() => cipher.decrypt(stored, 'addresses.street_encrypted:a')).toThrow(FieldDecryptionError);
    // Written as values were before contexts existed: `keyId:iv:tag:ciphertext`, no associated data.
    const iv = randomBytes(12);
    const sealer = createCipheriv('aes-256-gcm', Buffer.alloc(32, 7), iv);
    const data = Buffer.concat([sealer.update('+1 212 555 0100', 'utf8'), sealer.final()]);
    const legacy = ['k1', ...[iv, sealer.getAuthTag(), data].map((b) => b.toString('base64url'))].join(':');
    expect(cipher.decrypt(legacy, 'users.phone_encrypted:b')).toBe('+1 212 555 0100');
  });

  it("when a phone ciphertext is copied into another user's row, then that user's profile never shows it", async () => {
    const victim = await register(svc.baseUrl, { phone: '+1 212 555 0199' });
    const thief = await register(svc.baseUrl, { phone: '+1 212 555 0111' });
    await svc.db.query(
      'UPDATE users SET phone_encrypted = (SELECT phone_encrypted FROM users WHERE id = $1) WHERE id = $2',
      [victim.user.id, thief.user.id],
    );
    const res = await http('GET', url, { token: thief.accessToken });
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(res.body)).not.toContain('0199');
    expect((await http('GET', url, { token: victim.accessToken })).body.phone).toBe('+1 212 555 0199');
  });
});

describe('profile cache outage', () => {
  it('when Redis is down, then sign-up still works and signed-in requests answer 503 at once (fail closed)', async () => {
    const down = await startUserService({ REDIS_URL: 'redis://127.0.0.1:1/0' }, svc.keys);
    try {
      const session = await register(down.baseUrl);
      const res = await http('GET', `${down.baseUrl}/api/users/profile`, { token: session.accessToken });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
      // The same token is fine where the revocation list can be read.
      expect((await http('GET', url, { token: session.accessToken })).status).toBe(200);
    } finally {
      await down.close();
    }
  });

  it('when Redis cannot be reached, then profiles are still read from and written to the database', async () => {
    const session = await register(svc.baseUrl);
    const logger = createLogger({ service: 'user-service-test', silent: true });
    const deadRedis = createRedis('redis://127.0.0.1:1/0', logger, 'unreachable');
    const db = new Database({ url: svc.config.database.url, logger, applicationName: 'user-service-test' });
    try {
      const cipher = new FieldCipher(svc.config.extra.dataKeys);
      const users = new UserService(new UserRepository(db, cipher), new ProfileCache(deadRedis, cipher, 60, logger));
      expect((await users.getProfile(session.user.id)).email).toBe(session.user.email);
      expect((await users.updateProfile(session.user.id, { firstName: 'Offline' })).firstName).toBe('Offline');
    } finally {
      deadRedis.disconnect();
      await db.close();
    }
  });
});
