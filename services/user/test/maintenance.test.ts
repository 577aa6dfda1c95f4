import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@foodflow/platform';
import { eventually, http } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshTokenRepository } from '../src/auth/refresh-token.repository.js';
import { PasswordHasher } from '../src/security/password-hasher.js';
import { register, startUserService, type TestUserService, uniqueEmail } from './support.js';

let svc: TestUserService;

beforeAll(async () => {
  svc = await startUserService();
});
afterAll(() => svc.close());

const tokenHash = (token: string): Buffer => createHash('sha256').update(token).digest();
const exists = async (token: string): Promise<boolean> =>
  (await svc.db.query('SELECT 1 FROM refresh_tokens WHERE token_hash = $1', [tokenHash(token)])).rowCount === 1;

describe('refresh-token purge', () => {
  it('when the purge runs, then expired tokens and revoked families go, and live or merely spent tokens stay', async () => {
    const repository = new RefreshTokenRepository(svc.db);
    const live = await register(svc.baseUrl);
    const expired = await register(svc.baseUrl);
    const revoked = await register(svc.baseUrl);
    await svc.db.query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 minute'
       WHERE family_id IN (SELECT id FROM refresh_token_families WHERE user_id = $1)`,
      [expired.user.id],
    );
    await svc.db.query('UPDATE refresh_token_families SET revoked_at = now() WHERE user_id = $1', [revoked.user.id]);
    const spent = await svc.db.transaction(async (q) => {
      await repository.spend(q, tokenHash(live.refreshToken));
      return live.refreshToken;
    });

    expect(await repository.purge()).toBeGreaterThanOrEqual(2);

    expect(await exists(spent)).toBe(true);
    expect(await exists(expired.refreshToken)).toBe(false);
    expect(await exists(revoked.refreshToken)).toBe(false);
    const families = await svc.db.query('SELECT user_id FROM refresh_token_families WHERE user_id = ANY($1)', [
      [live.user.id, expired.user.id, revoked.user.id],
    ]);
    expect(families.rows.map((r) => r['user_id'])).toEqual([live.user.id]);
  });
});

describe('issuing a refresh token', () => {
  it('when its family has been revoked or purged, then no token is stored and the caller is told so', async () => {
    const repository = new RefreshTokenRepository(svc.db);
    const session = await register(svc.baseUrl);
    const { rows } = await svc.db.query<{ id: string }>('SELECT id FROM refresh_token_families WHERE user_id = $1', [
      session.user.id,
    ]);
    const familyId = rows[0]!.id;
    const issue = () => svc.db.transaction((q) => repository.insert(q, familyId, randomBytes(32), 3600));

    expect(await issue()).toBe(true);
    await svc.db.transaction((q) => repository.revokeFamily(q, familyId));
    expect(await issue()).toBe(false);
    await repository.purge();
    expect(await issue()).toBe(false);
    expect((await svc.db.query('SELECT 1 FROM refresh_tokens WHERE family_id = $1', [familyId])).rowCount).toBe(0);
  });
});

describe('the purge job', () => {
  it('when the service runs, then it purges expired refresh tokens by itself at each interval', async () => {
    const purging = await startUserService({ REFRESH_TOKEN_PURGE_INTERVAL_MS: '1000' });
    try {
      const expired = await register(purging.baseUrl);
      const live = await register(purging.baseUrl);
      await purging.db.query(
        `UPDATE refresh_tokens SET expires_at = now() - interval '1 minute'
         WHERE family_id IN (SELECT id FROM refresh_token_families WHERE user_id = $1)`,
        [expired.user.id],
      );
      await eventually(async () => ((await exists(expired.refreshToken)) ? undefined : true));
      expect(await exists(live.refreshToken)).toBe(true);
    } finally {
      await purging.close();
    }
  });
});

describe('a storm of logins', () => {
  it('when many logins are waiting for the hashing thread, then other requests are still answered before they finish', async () => {
    const storm = await startUserService({ BCRYPT_COST: '12', PASSWORD_HASH_THREADS: '1' });
    try {
      // Logins are counted in Redis first: the storm starts once the service is ready, as it would in production.
      expect((await http('GET', `${storm.baseUrl}/health/ready`)).status).toBe(200);
      const pool = storm.hasher['pool'];
      let finished = 0;
      const logins = Array.from({ length: 6 }, () =>
        http('POST', `${storm.baseUrl}/api/auth/login`, {
          body: { email: uniqueEmail('storm'), password: 'not the password' },
        }).finally(() => {
          finished += 1;
        }),
      );
      await eventually(async () => (pool.queueSize > 0 ? true : undefined));

      const live = await http('GET', `${storm.baseUrl}/health/live`);
      expect(live.status).toBe(200);
      expect(finished).toBeLessThan(logins.length);

      expect((await Promise.all(logins)).map((r) => r.status)).toEqual(logins.map(() => 401));
      // One stand-in hash for unknown emails, then one comparison per login: all of it on the pool.
      expect(pool.completed).toBe(logins.length + 1);
    } finally {
      await storm.close();
    }
  });
});

describe('password hashing pool', () => {
  const hasher = new PasswordHasher({ cost: 10, threads: 2, maxQueue: 100 });
  afterAll(() => hasher.destroy());

  it('when a password is hashed in a worker, then it verifies and a different one does not', async () => {
    const password = randomBytes(12).toString('base64url');
    const hash = await hasher.hash(password);
    expect(hash).toMatch(/^\$2b\$10\$/);
    expect(await hasher.verify(password, hash)).toBe(true);
    expect(await hasher.verify(`${password}!`, hash)).toBe(false);
  });

  it('when the email is unknown, then a real comparison runs on the pool against a stand-in hash made once', async () => {
    const fresh = new PasswordHasher({ cost: 10, threads: 1, maxQueue: 10 });
    try {
      const pool = fresh['pool'];
      expect(await fresh.verifyAgainstNothing('anything at all')).toBe(false);
      expect(pool.completed).toBe(2);
      expect(await fresh.verifyAgainstNothing('anything else')).toBe(false);
      expect(pool.completed).toBe(3);
    } finally {
      await fresh.destroy();
    }
  });

  it('when hashes run, then the pool does every one of them', async () => {
    const pool = hasher['pool'];
    const before = pool.completed;
    await Promise.all(Array.from({ length: 6 }, () => hasher.hash('some password')));
    expect(pool.completed - before).toBe(6);
  });

  it('when the queue is full, then further work is refused with a retry-safe 503 error', async () => {
    const tiny = new PasswordHasher({ cost: 10, threads: 1, maxQueue: 1 });
    try {
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => tiny.hash('some password')));
      const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(refused.length).toBeGreaterThan(0);
      for (const err of refused) {
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('DEPENDENCY_UNAVAILABLE');
      }
      expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
      expect(await tiny.verify('some password', await tiny.hash('some password'))).toBe(true);
    } finally {
      await tiny.destroy();
    }
  });
});
