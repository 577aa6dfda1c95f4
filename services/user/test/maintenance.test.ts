import { createHash, randomBytes } from 'node:crypto';
import { AppError, type Database } from '@foodflow/platform';
import { eventually, http } from '@foodflow/platform/testing';
import type { Piscina } from 'piscina';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RefreshTokenRepository } from '../src/auth/refresh-token.repository.js';
import { PasswordHasher } from '../src/security/password-hasher.js';
import { PASSWORD, register, startUserService, type TestUserService } from './support.js';

const holdWorker = new URL('./pool-hold.worker.ts', import.meta.url).href;

let svc: TestUserService;

beforeAll(async () => {
  svc = await startUserService();
});
afterAll(() => svc.close());

const tokenHash = (token: string): Buffer => createHash('sha256').update(token).digest();
const exists = async (token: string): Promise<boolean> =>
  (await svc.db.query('SELECT 1 FROM refresh_tokens WHERE token_hash = $1', [tokenHash(token)])).rowCount === 1;

/** Makes every refresh token of `userId` a minute past its expiry. */
const expireTokensOf = (db: Database, userId: string) =>
  db.query(
    `UPDATE refresh_tokens SET expires_at = now() - interval '1 minute'
     WHERE family_id IN (SELECT id FROM refresh_token_families WHERE user_id = $1)`,
    [userId],
  );

describe('refresh-token purge', () => {
  it('when the purge runs, then expired tokens and revoked families go, and live or merely spent tokens stay', async () => {
    const repository = new RefreshTokenRepository(svc.db);
    const live = await register(svc.baseUrl);
    const expired = await register(svc.baseUrl);
    const revoked = await register(svc.baseUrl);
    await expireTokensOf(svc.db, expired.user.id);
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

describe('the purge and an exchange at the same moment', () => {
  it('when the purge meets an exchange under way in a family revoked meanwhile, then both finish, and the token goes', async () => {
    const repository = new RefreshTokenRepository(svc.db);
    const session = await register(svc.baseUrl);
    let spent: (familyId: string) => void = () => undefined;
    const whenSpent = new Promise<string>((resolve) => (spent = resolve));
    let goOn: () => void = () => undefined;
    const whenGoingOn = new Promise<void>((resolve) => (goOn = resolve));

    // An exchange: its token is marked spent (and locked), then, later, the new token is added.
    const exchange = svc.db.transaction(async (q) => {
      const owner = await repository.spend(q, tokenHash(session.refreshToken));
      spent(owner!.familyId);
      await whenGoingOn;
      return repository.insert(q, owner!.familyId, randomBytes(32), 3600);
    });
    const familyId = await whenSpent;
    // A logout from another device revokes the family meanwhile; the purge then starts and waits on the token.
    // (The deadlock the purge's order avoids needs the logout inside the exchange's last statement, a window
    // no test can hold open; this is the same meeting a moment earlier.)
    await svc.db.query('UPDATE refresh_token_families SET revoked_at = now() WHERE id = $1', [familyId]);
    const purge = repository.purge();
    await eventually(async () => {
      const { rowCount } = await svc.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM refresh_token%'`,
      );
      return rowCount ? true : undefined;
    });
    goOn();

    expect(await exchange).toBe(false);
    expect(await purge).toBeGreaterThanOrEqual(1);
    expect(await exists(session.refreshToken)).toBe(false);
    expect((await svc.db.query('SELECT 1 FROM refresh_token_families WHERE id = $1', [familyId])).rowCount).toBe(0);
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
      await expireTokensOf(purging.db, expired.user.id);
      await eventually(async () => ((await exists(expired.refreshToken)) ? undefined : true));
      expect(await exists(live.refreshToken)).toBe(true);
    } finally {
      await purging.close();
    }
  });
});

describe('a storm of logins', () => {
  it('when every hashing thread is taken and logins wait for it, then other requests are still answered', async () => {
    const storm = await startUserService({ PASSWORD_HASH_THREADS: '1' });
    const release = new Int32Array(new SharedArrayBuffer(4));
    const letGo = (): void => {
      Atomics.store(release, 0, 1);
      Atomics.notify(release, 0);
    };
    try {
      const accounts = await Promise.all(Array.from({ length: 6 }, () => register(storm.baseUrl)));
      const pool: Piscina = storm.hasher['pool'];
      const before = pool.completed;
      // The pool's only thread is held by the test, not by bcrypt: how fast hashing is cannot matter.
      const held = pool.run(release.buffer, { filename: holdWorker });
      let answered = 0;
      const logins = accounts.map((account) =>
        http('POST', `${storm.baseUrl}/api/auth/login`, {
          body: { email: account.user.email, password: PASSWORD },
        }).finally(() => {
          answered += 1;
        }),
      );
      await eventually(async () => (pool.queueSize === logins.length ? true : undefined));

      const profile = await http('GET', `${storm.baseUrl}/api/users/profile`, { token: accounts[0]!.accessToken });
      expect(profile.status).toBe(200);
      expect(profile.body.id).toBe(accounts[0]!.user.id);
      expect(answered).toBe(0);

      letGo();
      await held;
      expect((await Promise.all(logins)).map((r) => r.status)).toEqual(logins.map(() => 200));
      // The hold, then one comparison per login: every one of them on the pool.
      expect(pool.completed - before).toBe(logins.length + 1);
    } finally {
      letGo();
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
