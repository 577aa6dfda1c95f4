import { http } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, register, sampleAddress, startUserService, type TestUserService } from './support.js';

let svc: TestUserService;

beforeAll(async () => {
  svc = await startUserService();
});
afterAll(() => svc.close());

describe('HTTP conventions', () => {
  it('when the body is over 1 MiB, then it answers 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await http('POST', `${svc.baseUrl}/api/auth/register`, {
      rawBody: JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(1024 * 1024 + 1) }),
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('when the JSON is malformed, then it answers 400 MALFORMED_JSON', async () => {
    const res = await http('POST', `${svc.baseUrl}/api/auth/login`, { rawBody: '{"email": "a@b.c",' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('MALFORMED_JSON');
  });

  it('when a body is not JSON, then it answers 415 and nothing is done with it', async () => {
    const session = await register(svc.baseUrl);
    const asText = (method: string, path: string, body: unknown) =>
      http(method, `${svc.baseUrl}${path}`, {
        token: session.accessToken,
        rawBody: JSON.stringify(body),
        headers: { 'content-type': 'text/plain' },
      });
    const update = await asText('PUT', '/api/users/profile', { firstName: 'Plain' });
    expect(update.status).toBe(415);
    expect(update.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await http('GET', `${svc.baseUrl}/api/users/profile`, { token: session.accessToken })).body.firstName).toBe(
      'Test',
    );
    const form = await http('POST', `${svc.baseUrl}/api/auth/login`, {
      rawBody: `email=${encodeURIComponent(session.user.email)}&password=${encodeURIComponent(PASSWORD)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect((await asText('POST', '/api/users/addresses', sampleAddress())).status).toBe(415);
  });

  it('when a request has no body at all, then no content type is asked for', async () => {
    const session = await register(svc.baseUrl);
    const res = await fetch(`${svc.baseUrl}/api/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    expect(res.status).toBe(204);
  });

  it('when the caller sends X-Request-ID, then it is echoed and quoted in errors', async () => {
    const res = await http('POST', `${svc.baseUrl}/api/auth/login`, {
      body: {},
      headers: { 'X-Request-ID': 'trace-user-123' },
    });
    expect(res.headers.get('x-request-id')).toBe('trace-user-123');
    expect(res.body.error.requestId).toBe('trace-user-123');
  });

  it('when the caller sends none, then a new request id is returned', async () => {
    const res = await http('GET', `${svc.baseUrl}/health/live`);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when the route does not exist, then it answers 404 in the error shape', async () => {
    const res = await http('GET', `${svc.baseUrl}/api/users/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', requestId: expect.any(String) });
  });

  it('when PostgreSQL and Redis answer, then /health/ready reports both up', async () => {
    const res = await http('GET', `${svc.baseUrl}/health/ready`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { postgres: { status: 'up' }, redis: { status: 'up' } } });
  });
});

describe('GET /metrics', () => {
  it('when users register and log in, then the counters and route templates (not raw ids) are exported', async () => {
    const session = await register(svc.baseUrl, { role: 'driver' });
    await http('POST', `${svc.baseUrl}/api/auth/login`, { body: { email: session.user.email, password: PASSWORD } });
    await http('POST', `${svc.baseUrl}/api/auth/login`, { body: { email: session.user.email, password: 'wrong one' } });
    const address = (
      await http('POST', `${svc.baseUrl}/api/users/addresses`, { token: session.accessToken, body: sampleAddress() })
    ).body;
    await http('PUT', `${svc.baseUrl}/api/users/addresses/${address.id}`, {
      token: session.accessToken,
      body: { label: 'Renamed' },
    });

    const res = await http('GET', `${svc.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = res.body as string;
    expect(text).toMatch(/user_registrations_total\{role="driver",service="user-service"\} [1-9]/);
    expect(text).toMatch(/user_logins_total\{outcome="success",service="user-service"\} [1-9]/);
    expect(text).toMatch(/user_logins_total\{outcome="failure",service="user-service"\} [1-9]/);
    expect(text).toContain('route="/api/users/addresses/:id"');
    expect(text).toContain('route="/api/auth/register"');
    expect(text).not.toContain(address.id);
  });
});
