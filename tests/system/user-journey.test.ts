import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@foodflow/platform/testing';
import { startStack, type Stack } from './stack.js';

/**
 * The whole User service section of the contract through the gateway, with every service running as
 * its own process: each endpoint once the way it is meant to be used and once the way it is not.
 */
let stack: Stack;
let api: (path: string) => string;

beforeAll(async () => {
  stack = await startStack();
  api = (path) => `${stack.gatewayUrl}${path}`;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const PASSWORD = 'correct horse battery';
const newEmail = (): string => `journey.${randomUUID()}@example.test`;
const HOME = {
  label: 'Home',
  street: '350 5th Ave',
  city: 'New York',
  postalCode: '10118',
  location: { lat: 40.7484, lng: -73.9857 },
};

interface Session {
  user: { id: string; email: string; firstName: string; lastName: string; phone: string | null; role: string };
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const registerThroughGateway = async (email = newEmail()): Promise<Session> => {
  const res = await http<Session>('POST', api('/api/auth/register'), {
    body: { email, password: PASSWORD, firstName: 'Jo', lastName: 'Journey', role: 'customer' },
  });
  expect(res.status).toBe(201);
  return res.body;
};

describe('the User service through the gateway', () => {
  it('when someone registers, then 201 with the user and a token pair; the same email in capitals is 409', async () => {
    const email = newEmail();
    const res = await http('POST', api('/api/auth/register'), {
      body: { email, password: PASSWORD, firstName: 'Jo', lastName: 'Journey', phone: '+1 212 555 0100' },
      headers: { 'X-Request-ID': 'journey-register' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-request-id')).toBe('journey-register');
    expect(res.body).toEqual({
      user: {
        id: expect.any(String),
        email,
        firstName: 'Jo',
        lastName: 'Journey',
        phone: '+1 212 555 0100',
        role: 'customer',
        createdAt: expect.any(String),
      },
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 900,
    });

    const again = await http('POST', api('/api/auth/register'), {
      body: { email: email.toUpperCase(), password: PASSWORD, firstName: 'Jo', lastName: 'Again' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'EMAIL_TAKEN', requestId: expect.any(String) });
  });

  it('when someone logs in, then 200 with the same shape; a wrong password is 401 INVALID_CREDENTIALS', async () => {
    const { user } = await registerThroughGateway();
    const res = await http('POST', api('/api/auth/login'), { body: { email: user.email, password: PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user, accessToken: expect.any(String), refreshToken: expect.any(String) });

    const wrong = await http('POST', api('/api/auth/login'), { body: { email: user.email, password: 'not it' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
  });

  it('when a refresh token is exchanged, then a new pair comes back; presented again, it is 401 and ends the family', async () => {
    const session = await registerThroughGateway();
    const refresh = (refreshToken: string) => http('POST', api('/api/auth/refresh'), { body: { refreshToken } });
    const rotated = await refresh(session.refreshToken);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), expiresIn: 900 });
    const profile = await http('GET', api('/api/users/profile'), { token: rotated.body.accessToken });
    expect(profile.status).toBe(200);

    const reused = await refresh(session.refreshToken);
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('UNAUTHENTICATED');
    expect((await refresh(rotated.body.refreshToken)).status).toBe(401);
    expect((await http('GET', api('/api/users/profile'), { token: rotated.body.accessToken })).status).toBe(401);
  });

  it('when a user logs out, then 204 and the token and its family stop working; without a token it is 401', async () => {
    const session = await registerThroughGateway();
    const res = await http('POST', api('/api/auth/logout'), {
      token: session.accessToken,
      body: { refreshToken: session.refreshToken },
    });
    expect(res.status).toBe(204);
    expect((await http('GET', api('/api/users/profile'), { token: session.accessToken })).status).toBe(401);
    const refreshed = await http('POST', api('/api/auth/refresh'), { body: { refreshToken: session.refreshToken } });
    expect(refreshed.status).toBe(401);

    const anonymous = await http('POST', api('/api/auth/logout'), { body: {} });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when a user reads their profile, then 200 with the user; without a token it is 401', async () => {
    const session = await registerThroughGateway();
    const res = await http('GET', api('/api/users/profile'), { token: session.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(session.user);

    const anonymous = await http('GET', api('/api/users/profile'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('when a user updates their profile, then 200 with the whole user; setting their role is 400 and changes nothing', async () => {
    const session = await registerThroughGateway();
    const res = await http('PUT', api('/api/users/profile'), {
      token: session.accessToken,
      body: { firstName: 'Joanna', phone: '+1 917 555 0177' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...session.user, firstName: 'Joanna', phone: '+1 917 555 0177' });
    expect((await http('GET', api('/api/users/profile'), { token: session.accessToken })).body.firstName).toBe(
      'Joanna',
    );

    const escalation = await http('PUT', api('/api/users/profile'), {
      token: session.accessToken,
      body: { role: 'admin' },
    });
    expect(escalation.status).toBe(400);
    expect(escalation.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'role' }] });
    expect((await http('GET', api('/api/users/profile'), { token: session.accessToken })).body.role).toBe('customer');
  });

  describe('saved addresses', () => {
    let owner: Session;
    let stranger: Session;
    let homeId: string;

    beforeAll(async () => {
      [owner, stranger] = await Promise.all([registerThroughGateway(), registerThroughGateway()]);
    });

    it('when a user saves an address, then 201 with it as the default; a latitude of 91 is 400', async () => {
      const res = await http('POST', api('/api/users/addresses'), { token: owner.accessToken, body: HOME });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ id: expect.any(String), ...HOME, isDefault: true });
      homeId = res.body.id;

      const invalid = await http('POST', api('/api/users/addresses'), {
        token: owner.accessToken,
        body: { ...HOME, location: { lat: 91, lng: 0 } },
      });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'location.lat' }] });
    });

    it('when a user lists addresses, then 200 with only their own; without a token it is 401', async () => {
      const res = await http('GET', api('/api/users/addresses'), { token: owner.accessToken });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: [{ id: homeId, ...HOME, isDefault: true }] });
      expect((await http('GET', api('/api/users/addresses'), { token: stranger.accessToken })).body).toEqual({
        data: [],
      });
      expect((await http('GET', api('/api/users/addresses'))).status).toBe(401);
    });

    it("when the owner updates an address, then 200 with the whole address; another user's attempt is 404", async () => {
      const res = await http('PUT', api(`/api/users/addresses/${homeId}`), {
        token: owner.accessToken,
        body: { label: 'Home (new door code)' },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: homeId, ...HOME, label: 'Home (new door code)', isDefault: true });

      const intruder = await http('PUT', api(`/api/users/addresses/${homeId}`), {
        token: stranger.accessToken,
        body: { label: 'Mine now' },
      });
      expect(intruder.status).toBe(404);
      expect(intruder.body.error.code).toBe('NOT_FOUND');
    });

    it("when the owner deletes an address, then 204 and it is gone; another user's attempt is 404", async () => {
      const intruder = await http('DELETE', api(`/api/users/addresses/${homeId}`), { token: stranger.accessToken });
      expect(intruder.status).toBe(404);
      expect((await http('GET', api('/api/users/addresses'), { token: owner.accessToken })).body.data).toHaveLength(1);

      const res = await http('DELETE', api(`/api/users/addresses/${homeId}`), { token: owner.accessToken });
      expect(res.status).toBe(204);
      expect((await http('GET', api('/api/users/addresses'), { token: owner.accessToken })).body).toEqual({ data: [] });
    });
  });
});
