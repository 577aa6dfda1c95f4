import { spawnSync } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { eventually, http } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, register, startUserService, type TestUserService, uniqueEmail } from './support.js';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
let svc: TestUserService;
let url: (path: string) => string;

beforeAll(async () => {
  svc = await startUserService();
  url = (path) => `${svc.baseUrl}${path}`;
});
afterAll(() => svc.close());

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as {
    jti: string;
    sid: string;
    exp: number;
  };

const login = (email: string, password: string, headers: Record<string, string> = {}) =>
  http('POST', url('/api/auth/login'), { body: { email, password }, headers });

describe('POST /api/auth/register', () => {
  it('when the body is valid, then it returns 201 with the user, a token pair and expiresIn', async () => {
    const email = uniqueEmail();
    const res = await http('POST', url('/api/auth/register'), {
      body: { email, password: PASSWORD, firstName: 'Ana', lastName: 'Lima', phone: '+1 212-555-0100' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      user: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email,
        firstName: 'Ana',
        lastName: 'Lima',
        phone: '+1 212-555-0100',
        role: 'customer',
        createdAt: expect.any(String),
      },
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 900,
    });
    expect(new Date(res.body.user.createdAt).toISOString()).toBe(res.body.user.createdAt);
  });

  it('when the email has capitals, then it is stored and returned lowercase', async () => {
    const email = uniqueEmail('MiXeD');
    const session = await register(svc.baseUrl, { email: email.toUpperCase() });
    expect(session.user.email).toBe(email.toLowerCase());
    const { rows } = await svc.db.query('SELECT email FROM users WHERE id = $1', [session.user.id]);
    expect(rows[0]?.email).toBe(email.toLowerCase());
  });

  it('when the password is stored, then only a bcrypt hash of the configured cost is kept', async () => {
    const session = await register(svc.baseUrl);
    const { rows } = await svc.db.query('SELECT password_hash FROM users WHERE id = $1', [session.user.id]);
    expect(rows[0]?.password_hash).toMatch(/^\$2[aby]\$10\$/);
    expect(rows[0]?.password_hash).not.toContain(PASSWORD);
    expect(JSON.stringify(session)).not.toContain('$2');
  });

  it.each(['restaurant_owner', 'driver'])('when the role is %s, then the account gets that role', async (role) => {
    const session = await register(svc.baseUrl, { role });
    expect(session.user.role).toBe(role);
  });

  it('when the email is taken in another letter case, then it answers 409 EMAIL_TAKEN', async () => {
    const email = uniqueEmail();
    await register(svc.baseUrl, { email });
    const res = await http('POST', url('/api/auth/register'), {
      body: { email: email.toUpperCase(), password: PASSWORD, firstName: 'A', lastName: 'B' },
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('EMAIL_TAKEN');
  });

  it('when the same email registers twice at once, then exactly one account is created', async () => {
    const email = uniqueEmail();
    const body = { email, password: PASSWORD, firstName: 'A', lastName: 'B' };
    const results = await Promise.all([1, 2, 3].map(() => http('POST', url('/api/auth/register'), { body })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
  });

  it('when someone tries to register as admin, then it answers 400 and creates nothing', async () => {
    const email = uniqueEmail();
    const res = await http('POST', url('/api/auth/register'), {
      body: { email, password: PASSWORD, firstName: 'Eve', lastName: 'Admin', role: 'admin' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([{ path: 'role', message: expect.stringContaining('must be one of') }]);
    const { rowCount } = await svc.db.query('SELECT 1 FROM users WHERE email = $1', [email]);
    expect(rowCount).toBe(0);
  });

  it.each([
    ['a missing email', { password: PASSWORD, firstName: 'A', lastName: 'B' }, 'email'],
    ['an invalid email', { email: 'not-an-email', password: PASSWORD, firstName: 'A', lastName: 'B' }, 'email'],
    [
      'a 7-character password',
      { email: 'x@example.com', password: '1234567', firstName: 'A', lastName: 'B' },
      'password',
    ],
    [
      'a 73-character password',
      { email: 'x@example.com', password: 'p'.repeat(73), firstName: 'A', lastName: 'B' },
      'password',
    ],
    ['a missing first name', { email: 'x@example.com', password: PASSWORD, lastName: 'B' }, 'firstName'],
    [
      'a bad phone',
      { email: 'x@example.com', password: PASSWORD, firstName: 'A', lastName: 'B', phone: 'call me' },
      'phone',
    ],
    [
      'an id',
      {
        email: 'x@example.com',
        password: PASSWORD,
        firstName: 'A',
        lastName: 'B',
        id: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
      },
      'id',
    ],
    [
      'a createdAt',
      { email: 'x@example.com', password: PASSWORD, firstName: 'A', lastName: 'B', createdAt: '2020-01-01T00:00:00Z' },
      'createdAt',
    ],
  ])('when the body has %s, then it answers 400 naming the field', async (_case, body, path) => {
    const res = await http('POST', url('/api/auth/register'), { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('when the password has at most 72 characters but more than 72 UTF-8 bytes, then it answers 400', async () => {
    const res = await http('POST', url('/api/auth/register'), {
      body: { email: uniqueEmail(), password: `${'€'.repeat(24)}AAAA`, firstName: 'A', lastName: 'B' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'password', message: expect.stringContaining('72 bytes') }]);
  });

  it('when a password of exactly 72 UTF-8 bytes is registered, then only that exact password logs in', async () => {
    const password = `${'€'.repeat(23)}AAA`;
    expect(Buffer.byteLength(password)).toBe(72);
    const { user } = await register(svc.baseUrl, { password });
    expect((await login(user.email, password)).status).toBe(200);
    expect((await login(user.email, `${'€'.repeat(23)}AAB`)).status).toBe(401);
  });

  it('when a login password is over 72 UTF-8 bytes, then it answers 400, even if its first 72 bytes are the password', async () => {
    const password = `${'€'.repeat(23)}AAA`;
    const { user } = await register(svc.baseUrl, { password });
    const res = await login(user.email, `${password}X`);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'password', message: expect.stringContaining('72 bytes') }]);
  });

  it('when the admin command gets a password over 72 UTF-8 bytes, then it refuses before touching anything', () => {
    const email = uniqueEmail('admin');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/create-admin.ts', '--email', email, '--password', `${'€'.repeat(24)}AAAA`],
      { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'test' } },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--password');
    expect(run.stderr).toContain('72 bytes');
  });

  it('when the password is exactly 8 and 72 characters, then both are accepted', async () => {
    await register(svc.baseUrl, { password: '12345678' });
    await register(svc.baseUrl, { password: 'p'.repeat(72) });
  });
});

describe('POST /api/auth/login', () => {
  it('when the credentials are right (email in any case), then it returns the user and a new token pair', async () => {
    const email = uniqueEmail();
    const registered = await register(svc.baseUrl, { email });
    const res = await login(email.toUpperCase(), PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual(registered.user);
    expect(res.body.accessToken).toEqual(expect.any(String));
    expect(res.body.refreshToken).not.toBe(registered.refreshToken);
    expect(res.body.expiresIn).toBe(900);
    expect(res.body.user).not.toHaveProperty('passwordHash');
  });

  it('when the password is wrong, then it answers 401 INVALID_CREDENTIALS', async () => {
    const { user } = await register(svc.baseUrl);
    const res = await login(user.email, 'wrong password');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('when the email is unknown, then it answers exactly as for a wrong password', async () => {
    const { user } = await register(svc.baseUrl);
    const unknown = await login(uniqueEmail('nobody'), 'wrong password');
    const wrong = await login(user.email, 'wrong password');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe(wrong.body.error.code);
    expect(unknown.body.error.message).toBe(wrong.body.error.message);
  });

  it('when the body is incomplete or has extra fields, then it answers 400', async () => {
    expect((await http('POST', url('/api/auth/login'), { body: { email: uniqueEmail() } })).status).toBe(400);
    const extra = await http('POST', url('/api/auth/login'), {
      body: { email: uniqueEmail(), password: PASSWORD, role: 'admin' },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.error.details[0].path).toBe('role');
  });

  it('when an account fails 10 logins, then the 11th attempt gets 429 with Retry-After, even with the right password', async () => {
    const { user } = await register(svc.baseUrl);
    for (let i = 0; i < 10; i += 1) expect((await login(user.email, 'wrong password')).status).toBe(401);
    const blocked = await login(user.email, PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(svc.config.extra.loginLimits.windowS);
  });

  it('when 30 wrong passwords arrive at once for an account limited to 10, then at most 10 are compared', async () => {
    expect(svc.config.extra.loginLimits.perAccount).toBe(10);
    const { user } = await register(svc.baseUrl);
    const results = await Promise.all(Array.from({ length: 30 }, () => login(user.email, 'wrong password')));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect((await login(user.email, PASSWORD)).status).toBe(429);
  });

  it('when a login succeeds, then the account failure count starts again', async () => {
    const { user } = await register(svc.baseUrl);
    for (let i = 0; i < 9; i += 1) expect((await login(user.email, 'wrong password')).status).toBe(401);
    expect((await login(user.email, PASSWORD)).status).toBe(200);
    for (let i = 0; i < 9; i += 1) expect((await login(user.email, 'wrong password')).status).toBe(401);
    expect((await login(user.email, PASSWORD)).status).toBe(200);
  });

  it('when an unknown email fails 10 times, then it is limited like a real one', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 10; i += 1) expect((await login(email, 'wrong password')).status).toBe(401);
    expect((await login(email, 'wrong password')).status).toBe(429);
  });
});

describe('failed logins per client address', () => {
  let limited: TestUserService;
  beforeAll(async () => {
    limited = await startUserService({ LOGIN_MAX_FAILURES_PER_IP: '3' });
  });
  afterAll(() => limited.close());

  it('when one address fails across several accounts, then it gets 429 while other addresses still log in', async () => {
    const attacker = { 'X-Forwarded-For': `198.51.100.${randomInt(1, 255)}, 203.0.113.${randomInt(1, 255)}` };
    const ipOnly = { 'X-Forwarded-For': attacker['X-Forwarded-For'].split(', ')[1] as string };
    const victim = await register(limited.baseUrl);
    const attempt = (email: string, password: string, headers: Record<string, string>) =>
      http('POST', `${limited.baseUrl}/api/auth/login`, { body: { email, password }, headers });
    for (let i = 0; i < 3; i += 1) expect((await attempt(uniqueEmail(), 'guess', ipOnly)).status).toBe(401);
    const blocked = await attempt(victim.user.email, PASSWORD, ipOnly);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    const elsewhere = { 'X-Forwarded-For': `192.0.2.${randomInt(1, 255)}` };
    expect((await attempt(victim.user.email, PASSWORD, elsewhere)).status).toBe(200);
  });
});

describe('POST /api/auth/refresh', () => {
  const refresh = (refreshToken: unknown) => http('POST', url('/api/auth/refresh'), { body: { refreshToken } });

  it('when the refresh token is live, then it returns a new pair and the new access token works', async () => {
    const session = await register(svc.baseUrl);
    const res = await refresh(session.refreshToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900 });
    expect(res.body.refreshToken).not.toBe(session.refreshToken);
    expect(Buffer.from(res.body.refreshToken, 'base64url').length).toBeGreaterThanOrEqual(32);
    const profile = await http('GET', url('/api/users/profile'), { token: res.body.accessToken });
    expect(profile.status).toBe(200);
    expect(profile.body.id).toBe(session.user.id);
  });

  it('when a refresh token is stored, then only its SHA-256 hash is in the database', async () => {
    const session = await register(svc.baseUrl);
    const { rows } = await svc.db.query(
      `SELECT t.token_hash FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id
       WHERE f.user_id = $1`,
      [session.user.id],
    );
    expect(rows).toHaveLength(1);
    expect(Buffer.compare(rows[0]?.token_hash, createHash('sha256').update(session.refreshToken).digest())).toBe(0);
  });

  it('when a spent refresh token is presented again, then it answers 401 and revokes its whole family only', async () => {
    const email = uniqueEmail();
    const first = await register(svc.baseUrl, { email });
    const otherFamily = (await login(email, PASSWORD)).body;
    const rotated = (await refresh(first.refreshToken)).body;

    const reuse = await refresh(first.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('UNAUTHENTICATED');
    // The thief's and the victim's copies of the family are both dead now.
    expect((await refresh(rotated.refreshToken)).status).toBe(401);
    // The same user's other login is untouched.
    const other = await refresh(otherFamily.refreshToken);
    expect(other.status).toBe(200);
    expect((await refresh(other.body.refreshToken)).status).toBe(200);
  });

  it('when reuse revokes a family, then access tokens issued in it stop working at once, other families go on', async () => {
    const email = uniqueEmail();
    const first = await register(svc.baseUrl, { email });
    const otherFamily = (await login(email, PASSWORD)).body;
    const rotated = (await refresh(first.refreshToken)).body;
    const profile = (token: string) => http('GET', url('/api/users/profile'), { token });
    expect((await profile(first.accessToken)).status).toBe(200);
    expect((await profile(rotated.accessToken)).status).toBe(200);

    expect((await refresh(first.refreshToken)).status).toBe(401);
    for (const token of [first.accessToken, rotated.accessToken]) {
      const res = await profile(token);
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
    }
    expect((await profile(otherFamily.accessToken)).status).toBe(200);
    const familyTtl = await svc.redis.ttl(`auth:revoked-family:${claimsOf(first.accessToken).sid}`);
    expect(familyTtl).toBeGreaterThan(0);
    expect(familyTtl).toBeLessThanOrEqual(svc.config.extra.tokens.accessTtlS);
  });

  it('when the same token is exchanged twice at once, then one exchange wins and the other, a reuse, ends the family', async () => {
    const session = await register(svc.baseUrl);
    const results = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);
    // The exchanges take turns on the token's row: the second finds it spent, which is a presentation
    // of a spent token like any other, whichever of the two requests came second.
    expect(results.map((r) => r.status).sort()).toEqual([200, 401]);
    const winner = results.find((r) => r.status === 200)!.body;
    const loser = results.find((r) => r.status === 401)!.body;
    expect(loser.error.code).toBe('UNAUTHENTICATED');
    expect((await refresh(winner.refreshToken)).status).toBe(401);
    expect((await http('GET', url('/api/users/profile'), { token: winner.accessToken })).status).toBe(401);
  });

  it('when a refresh token is issued or rotated, then it is stored to expire REFRESH_TOKEN_TTL_S (7 days) later', async () => {
    expect(svc.config.extra.tokens.refreshTtlS).toBe(7 * 86_400);
    const session = await register(svc.baseUrl);
    const rotated = (await refresh(session.refreshToken)).body;
    const { rows } = await svc.db.query<{ life: number }>(
      `SELECT extract(epoch FROM expires_at - created_at)::int AS life FROM refresh_tokens
       WHERE token_hash = ANY($1) ORDER BY created_at`,
      [[session.refreshToken, rotated.refreshToken].map((t) => createHash('sha256').update(t).digest())],
    );
    expect(rows).toEqual([{ life: 7 * 86_400 }, { life: 7 * 86_400 }]);
  });

  it('when a family began long ago, then the token rotated into it still lives 7 days and works', async () => {
    const session = await register(svc.baseUrl);
    // The contract bounds each token, not the family: rotating keeps a session alive however old it is.
    await svc.db.query(
      `UPDATE refresh_token_families SET created_at = now() - interval '400 days' WHERE user_id = $1`,
      [session.user.id],
    );
    const rotated = (await refresh(session.refreshToken)).body;
    const { rows } = await svc.db.query<{ life: number }>(
      'SELECT extract(epoch FROM expires_at - created_at)::int AS life FROM refresh_tokens WHERE token_hash = $1',
      [createHash('sha256').update(rotated.refreshToken).digest()],
    );
    expect(rows).toEqual([{ life: 7 * 86_400 }]);
    expect((await refresh(rotated.refreshToken)).status).toBe(200);
  });

  it('when a logout ends the family while its token is being exchanged, then the exchange answers 401 and issues nothing', async () => {
    const session = await register(svc.baseUrl);
    const presented = createHash('sha256').update(session.refreshToken).digest();
    const { exchange } = await svc.db.transaction(async (holder) => {
      // Holding the token's row stops the exchange inside its transaction, after it has read the family
      // as live, so the logout below lands exactly between the token being spent and its successor issued.
      await holder.query('SELECT 1 FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE', [presented]);
      const exchange = refresh(session.refreshToken);
      await eventually(async () => {
        const { rowCount } = await svc.db.query(
          `SELECT 1 FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%SET used_at = now()%'`,
        );
        return rowCount === 1 ? true : undefined;
      });
      const logout = await http('POST', url('/api/auth/logout'), {
        token: session.accessToken,
        body: { refreshToken: session.refreshToken },
      });
      expect(logout.status).toBe(204);
      // Wrapped, so the transaction commits (letting the exchange go on) instead of waiting for it.
      return { exchange };
    });

    const answer = await exchange;
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('UNAUTHENTICATED');
    const { rows } = await svc.db.query(
      `SELECT t.used_at FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id
       WHERE f.user_id = $1`,
      [session.user.id],
    );
    expect(rows).toEqual([{ used_at: null }]);
  });

  it('when the refresh token has expired, then it answers 401', async () => {
    const session = await register(svc.baseUrl);
    await svc.db.query(
      `UPDATE refresh_tokens SET expires_at = now() - interval '1 second'
       WHERE family_id IN (SELECT id FROM refresh_token_families WHERE user_id = $1)`,
      [session.user.id],
    );
    expect((await refresh(session.refreshToken)).status).toBe(401);
  });

  it('when the refresh token is unknown, missing or not a string, then it answers 401 or 400', async () => {
    expect((await refresh('x'.repeat(43))).status).toBe(401);
    expect((await http('POST', url('/api/auth/refresh'), { body: {} })).status).toBe(400);
    expect((await refresh(12345)).status).toBe(400);
  });

  it('when an access token is sent as a refresh token, then it answers 401', async () => {
    const session = await register(svc.baseUrl);
    expect((await refresh(session.accessToken)).status).toBe(401);
  });
});

describe('POST /api/auth/logout', () => {
  it('when a user logs out, then the access token and the refresh family stop working, and other sessions go on', async () => {
    const email = uniqueEmail();
    const session = await register(svc.baseUrl, { email });
    const other = (await login(email, PASSWORD)).body;

    const res = await http('POST', url('/api/auth/logout'), {
      token: session.accessToken,
      body: { refreshToken: session.refreshToken },
    });
    expect(res.status).toBe(204);
    const after = await http('GET', url('/api/users/profile'), { token: session.accessToken });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');
    expect(
      (await http('POST', url('/api/auth/refresh'), { body: { refreshToken: session.refreshToken } })).status,
    ).toBe(401);
    expect((await http('GET', url('/api/users/profile'), { token: other.accessToken })).status).toBe(200);
    expect((await http('POST', url('/api/auth/refresh'), { body: { refreshToken: other.refreshToken } })).status).toBe(
      200,
    );
  });

  it('when a user logs out with a refresh token, then access tokens issued earlier in that family stop working', async () => {
    const session = await register(svc.baseUrl);
    const rotated = (await http('POST', url('/api/auth/refresh'), { body: { refreshToken: session.refreshToken } }))
      .body;
    const res = await http('POST', url('/api/auth/logout'), {
      token: rotated.accessToken,
      body: { refreshToken: rotated.refreshToken },
    });
    expect(res.status).toBe(204);
    expect((await http('GET', url('/api/users/profile'), { token: session.accessToken })).status).toBe(401);
  });

  it('when the revocation is stored, then it expires with the access token', async () => {
    const session = await register(svc.baseUrl);
    await http('POST', url('/api/auth/logout'), { token: session.accessToken });
    const { jti, exp } = claimsOf(session.accessToken);
    const ttl = await svc.redis.ttl(`auth:revoked:${jti}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(exp - Math.floor(Date.now() / 1000));
  });

  it("when the refresh token given belongs to someone else, then that user's family survives", async () => {
    const attacker = await register(svc.baseUrl);
    const victim = await register(svc.baseUrl);
    const res = await http('POST', url('/api/auth/logout'), {
      token: attacker.accessToken,
      body: { refreshToken: victim.refreshToken },
    });
    expect(res.status).toBe(204);
    expect((await http('POST', url('/api/auth/refresh'), { body: { refreshToken: victim.refreshToken } })).status).toBe(
      200,
    );
  });

  it('when there is no access token, then it answers 401', async () => {
    const res = await http('POST', url('/api/auth/logout'), { body: {} });
    expect(res.status).toBe(401);
  });

  it('when the body has unknown fields, then it answers 400 and revokes nothing', async () => {
    const session = await register(svc.baseUrl);
    const res = await http('POST', url('/api/auth/logout'), { token: session.accessToken, body: { everything: true } });
    expect(res.status).toBe(400);
    expect((await http('GET', url('/api/users/profile'), { token: session.accessToken })).status).toBe(200);
  });
});
