import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authUser,
  createHttpApp,
  createLogger,
  createMetrics,
  createRedis,
  type Redis,
  requireAuth,
  requireRole,
  revokedFamilyKey,
  revokedTokenKey,
  TokenVerifier,
} from '@foodflow/platform';
import { generateTestKeys, http, type RunningApp, signTestAccessToken, startHttp } from '@foodflow/platform/testing';
import { testEnv } from '../../../tests/setup/test-env.js';

const logger = createLogger({ service: 'platform-test', silent: true });
const keys = generateTestKeys();
const otherKeys = generateTestKeys();
const { REDIS_URL } = testEnv('users_service');

let redis: Redis;
let app: RunningApp;

const sign = (payload: object, options: jwt.SignOptions, key: jwt.Secret = keys.privateKey): string =>
  jwt.sign(payload, key, {
    algorithm: 'ES256',
    subject: randomUUID(),
    issuer: 'foodflow-user-service',
    audience: 'foodflow',
    expiresIn: 60,
    jwtid: randomUUID(),
    header: { alg: 'ES256', typ: 'at+jwt' },
    ...options,
  });

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

beforeAll(async () => {
  redis = createRedis(REDIS_URL, logger);
  const verifier = new TokenVerifier({
    publicKey: keys.publicKey,
    issuer: 'foodflow-user-service',
    audience: 'foodflow',
    redis,
  });
  const router = Router();
  router.get('/api/me', requireAuth(verifier), (_req, res) => {
    res.json(authUser(res));
  });
  router.get('/api/admin-only', requireAuth(verifier), requireRole('admin'), (_req, res) => {
    res.json({ ok: true });
  });
  app = await startHttp(
    createHttpApp({ logger, metrics: createMetrics('platform-test'), health: [], routes: (a) => a.use(router) }),
  );
});

afterAll(async () => {
  await app.close();
  redis.disconnect();
});

const me = (token: string) => http('GET', `${app.baseUrl}/api/me`, { token });

describe('access token verification', () => {
  it('when the token is valid, then the caller is known with id, role and first name', async () => {
    const sub = randomUUID();
    const res = await me(signTestAccessToken({ privateKey: keys.privateKey, sub, role: 'driver', firstName: 'Dan' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: sub, role: 'driver', firstName: 'Dan' });
  });

  it('when there is no token, then 401 UNAUTHENTICATED', async () => {
    const res = await http('GET', `${app.baseUrl}/api/me`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when the token has expired, then 401 TOKEN_EXPIRED', async () => {
    const expired = sign({ role: 'customer' }, { expiresIn: -10 });
    const res = await me(expired);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_EXPIRED');
  });

  it('when the signature was tampered with, then 401', async () => {
    const token = signTestAccessToken({ privateKey: keys.privateKey, role: 'customer' });
    const [header, , signature] = token.split('.');
    const forged = `${header}.${base64url({ sub: randomUUID(), role: 'admin', jti: randomUUID(), exp: 9e9 })}.${signature}`;
    expect((await me(forged)).status).toBe(401);
  });

  it('when signed by another key, then 401', async () => {
    expect((await me(signTestAccessToken({ privateKey: otherKeys.privateKey }))).status).toBe(401);
  });

  it('when the token says alg none, then 401', async () => {
    const unsigned = `${base64url({ alg: 'none', typ: 'at+jwt' })}.${base64url({
      sub: randomUUID(),
      role: 'admin',
      jti: randomUUID(),
      iss: 'foodflow-user-service',
      aud: 'foodflow',
      exp: Math.floor(Date.now() / 1000) + 60,
    })}.`;
    expect((await me(unsigned)).status).toBe(401);
  });

  it('when HS256-signed with the public key as secret, then 401 (algorithm confusion)', async () => {
    const header = base64url({ alg: 'HS256', typ: 'at+jwt' });
    const payload = base64url({
      sub: randomUUID(),
      role: 'admin',
      jti: randomUUID(),
      iss: 'foodflow-user-service',
      aud: 'foodflow',
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    const { createHmac } = await import('node:crypto');
    const mac = createHmac('sha256', keys.publicKey).update(`${header}.${payload}`).digest('base64url');
    expect((await me(`${header}.${payload}.${mac}`)).status).toBe(401);
  });

  it('when the audience or issuer is wrong, then 401', async () => {
    expect((await me(sign({ role: 'customer' }, { audience: 'another-api' }))).status).toBe(401);
    expect((await me(sign({ role: 'customer' }, { issuer: 'someone-else' }))).status).toBe(401);
  });

  it('when the token is not an access token (wrong typ), then 401', async () => {
    const refreshLike = sign({ role: 'customer' }, { header: { alg: 'ES256', typ: 'refresh+jwt' } });
    const res = await me(refreshLike);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/not an access token/);
  });

  it('when the role claim is unknown, then 401', async () => {
    expect((await me(sign({ role: 'superuser' }, {}))).status).toBe(401);
  });

  it('when the token id is on the denylist, then 401 at once', async () => {
    const jti = randomUUID();
    const token = sign({ role: 'customer' }, { jwtid: jti });
    expect((await me(token)).status).toBe(200);
    await redis.set(revokedTokenKey(jti), '1', 'EX', 60);
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/revoked/);
  });

  it('when the token names a session that is revoked, then 401, while tokens of other sessions still pass', async () => {
    const sid = randomUUID();
    const token = sign({ role: 'customer', sid }, {});
    const otherSession = sign({ role: 'customer', sid: randomUUID() }, {});
    expect((await me(token)).body.sessionId).toBe(sid);
    await redis.set(revokedFamilyKey(sid), '1', 'EX', 60);
    const res = await me(token);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/revoked/);
    expect((await me(otherSession)).status).toBe(200);
  });

  it('when the token names no session, then only its own id is checked', async () => {
    const token = sign({ role: 'customer' }, {});
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('sessionId');
  });

  it('when the role is not allowed, then 403 FORBIDDEN', async () => {
    const customer = signTestAccessToken({ privateKey: keys.privateKey, role: 'customer' });
    const res = await http('GET', `${app.baseUrl}/api/admin-only`, { token: customer });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    const admin = signTestAccessToken({ privateKey: keys.privateKey, role: 'admin' });
    expect((await http('GET', `${app.baseUrl}/api/admin-only`, { token: admin })).status).toBe(200);
  });
});

describe('access token verification without the session store', () => {
  it('when Redis cannot be reached, then 503 (fail closed), never a pass', async () => {
    const deadRedis = createRedis('redis://127.0.0.1:1/0', logger);
    const verifier = new TokenVerifier({
      publicKey: keys.publicKey,
      issuer: 'foodflow-user-service',
      audience: 'foodflow',
      redis: deadRedis,
    });
    try {
      await expect(verifier.verify(signTestAccessToken({ privateKey: keys.privateKey }))).rejects.toMatchObject({
        code: 'DEPENDENCY_UNAVAILABLE',
      });
    } finally {
      deadRedis.disconnect();
    }
  });
});

describe('the OpenAPI document of guarded routes', () => {
  it('then authentication and roles are documented from the guards themselves', async () => {
    const res = await http('GET', `${app.baseUrl}/openapi.json`);
    expect(res.body.paths['/api/me'].get.security).toEqual([{ bearer: [] }]);
    expect(res.body.paths['/api/admin-only'].get.description).toBe('Roles: admin');
    expect(res.body.paths['/api/admin-only'].get.responses['403']).toBeDefined();
  });
});
