import { createHmac, createPublicKey, type JsonWebKey } from 'node:crypto';
import { generateTestKeys, http, signTestAccessToken } from '@foodflow/platform/testing';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register, type Registered, startUserService, type TestUserService } from './support.js';

let svc: TestUserService;
let session: Registered;

beforeAll(async () => {
  svc = await startUserService();
  session = await register(svc.baseUrl, { firstName: 'Tessa' });
});
afterAll(() => svc.close());

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const decodePart = (token: string, index: 0 | 1): Record<string, any> =>
  JSON.parse(Buffer.from(token.split('.')[index] as string, 'base64url').toString());
const profileWith = (token: string) => http('GET', `${svc.baseUrl}/api/users/profile`, { token });
const validClaims = () => {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: session.user.id,
    role: 'admin',
    firstName: 'Tessa',
    jti: 'forged',
    iss: 'foodflow-user-service',
    aud: 'foodflow',
    iat: now,
    exp: now + 900,
  };
};

describe('issued access tokens', () => {
  it('when a token is issued, then it is ES256 at+jwt with a kid and carries sub, role, firstName, jti, sid, iss, aud, exp', async () => {
    const header = decodePart(session.accessToken, 0);
    const claims = decodePart(session.accessToken, 1);
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    expect(claims).toEqual({
      sub: session.user.id,
      role: 'customer',
      firstName: 'Tessa',
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      iss: 'foodflow-user-service',
      aud: 'foodflow',
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(claims['exp'] - claims['iat']).toBe(900);
    const families = await svc.db.query<{ id: string }>('SELECT id FROM refresh_token_families WHERE user_id = $1', [
      session.user.id,
    ]);
    expect(families.rows.map((r) => r.id)).toEqual([claims['sid']]);
  });

  it('when the JWKS document is fetched, then its key verifies issued tokens and matches the kid', async () => {
    const res = await http('GET', `${svc.baseUrl}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.body.keys).toHaveLength(1);
    const jwk = res.body.keys[0] as JsonWebKey & { kid: string };
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
    expect(jwk).not.toHaveProperty('d');
    expect(jwk.kid).toBe(decodePart(session.accessToken, 0)['kid']);
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    expect(() => jwt.verify(session.accessToken, key, { algorithms: ['ES256'] })).not.toThrow();
  });

  it('when two tokens are issued, then each has its own jti', async () => {
    const other = await register(svc.baseUrl);
    expect(decodePart(other.accessToken, 1)['jti']).not.toBe(decodePart(session.accessToken, 1)['jti']);
  });

  it('when ACCESS_TOKEN_TTL_S is set, then tokens and expiresIn follow it', async () => {
    const short = await startUserService({ ACCESS_TOKEN_TTL_S: '120' });
    try {
      const issued = await register(short.baseUrl);
      expect(issued.expiresIn).toBe(120);
      const claims = decodePart(issued.accessToken, 1);
      expect(claims['exp'] - claims['iat']).toBe(120);
    } finally {
      await short.close();
    }
  });
});

describe('refused access tokens', () => {
  it('when there is no token, then it answers 401 UNAUTHENTICATED', async () => {
    const res = await http('GET', `${svc.baseUrl}/api/users/profile`);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when the token is well formed and valid, then it is accepted (control case)', async () => {
    expect((await profileWith(session.accessToken)).status).toBe(200);
  });

  it('when the token has expired, then it answers 401 TOKEN_EXPIRED', async () => {
    const token = signTestAccessToken({ privateKey: svc.keys.privateKey, sub: session.user.id, expiresInS: -10 });
    const res = await profileWith(token);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('TOKEN_EXPIRED');
  });

  it('when the payload was tampered with (role raised to admin), then it answers 401', async () => {
    const [header, , signature] = session.accessToken.split('.');
    const tampered = `${header}.${b64({ ...decodePart(session.accessToken, 1), role: 'admin' })}.${signature}`;
    const res = await profileWith(tampered);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when the token says alg none and has no signature, then it answers 401', async () => {
    const token = `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(validClaims())}.`;
    expect((await profileWith(token)).status).toBe(401);
  });

  it('when the token is HS256-signed with the public key as the secret, then it answers 401', async () => {
    const unsigned = `${b64({ alg: 'HS256', typ: 'at+jwt' })}.${b64(validClaims())}`;
    const signature = createHmac('sha256', svc.keys.publicKey).update(unsigned).digest('base64url');
    expect((await profileWith(`${unsigned}.${signature}`)).status).toBe(401);
  });

  it('when the token is signed by another key, then it answers 401', async () => {
    const token = signTestAccessToken({ privateKey: generateTestKeys().privateKey, sub: session.user.id });
    expect((await profileWith(token)).status).toBe(401);
  });

  it('when the audience is wrong, then it answers 401', async () => {
    const token = signTestAccessToken({ privateKey: svc.keys.privateKey, sub: session.user.id, audience: 'other-api' });
    expect((await profileWith(token)).status).toBe(401);
  });

  it('when the issuer is wrong, then it answers 401', async () => {
    const token = signTestAccessToken({ privateKey: svc.keys.privateKey, sub: session.user.id, issuer: 'evil-issuer' });
    expect((await profileWith(token)).status).toBe(401);
  });

  it('when a correctly signed token is not typed at+jwt, then it answers 401', async () => {
    const token = jwt.sign(validClaims(), svc.keys.privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'JWT' },
    });
    expect((await profileWith(token)).status).toBe(401);
  });

  it('when the Authorization header is not a bearer token, then it answers 401', async () => {
    const res = await http('GET', `${svc.baseUrl}/api/users/profile`, {
      headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    });
    expect(res.status).toBe(401);
  });
});

describe('configuration', () => {
  it('when the private key does not match the public key, then the service refuses to start', async () => {
    const mismatched = { privateKey: generateTestKeys().privateKey, publicKey: generateTestKeys().publicKey };
    await expect(startUserService({}, mismatched)).rejects.toThrow(/does not match/);
  });
});
