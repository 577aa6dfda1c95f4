import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { generateTestKeys, http, signTestAccessToken, startHttp } from '@foodflow/platform/testing';
import express from 'express';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  declarationWithReadTimeout,
  randomClientIp,
  type RunningGateway,
  startEchoService,
  startGateway,
} from './support.js';

const keys = generateTestKeys();
const otherKeys = generateTestKeys();
const token = (sub = randomUUID()): string => signTestAccessToken({ privateKey: keys.privateKey, sub });

let echo: Awaited<ReturnType<typeof startEchoService>>;
let gateway: RunningGateway;

beforeAll(async () => {
  echo = await startEchoService();
  gateway = await startGateway({ publicKey: keys.publicKey, serviceUrl: echo.baseUrl });
});

afterAll(async () => {
  await gateway?.close();
  await echo?.close();
});

/** A request from its own made-up client address, so rate limits of other tests never interfere. */
const call = (method: string, path: string, options: Parameters<typeof http>[2] = {}) =>
  http(method, `${gateway.baseUrl}${path}`, {
    ...options,
    headers: { 'x-forwarded-for': randomClientIp(), ...options.headers },
  });

/** Sends a raw request (no client-side URL normalisation, no body unless written). */
function rawRequest(
  path: string,
  options: {
    method?: string;
    headers?: Record<string, string | number>;
    write?: (req: ReturnType<typeof httpRequest>) => void;
  },
): Promise<{ status: number; body: { error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${gateway.baseUrl}${path}`,
      { method: options.method ?? 'GET', headers: { 'x-forwarded-for': randomClientIp(), ...options.headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { error?: { code: string } } }),
        );
      },
    );
    // The gateway may answer and close before the whole body is sent; that answer is what counts.
    req.on('error', (err) =>
      err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? undefined : reject(err),
    );
    if (options.write) options.write(req);
    else req.end();
  });
}

describe('routing', () => {
  it('when a public route is called, then the service receives the same path, the request id and the client address', async () => {
    const ip = randomClientIp();
    const res = await call('GET', '/api/restaurants?q=pho&page=2', {
      headers: { 'x-request-id': 'trace-123', 'x-forwarded-for': ip },
    });

    expect(res.status).toBe(200);
    expect(res.body.url).toBe('/api/restaurants?q=pho&page=2');
    expect(res.body.headers['x-request-id']).toBe('trace-123');
    expect(res.body.headers['x-forwarded-for']).toContain(ip);
    expect(res.headers.get('x-request-id')).toBe('trace-123');
  });

  it('when no request id is given, then the gateway makes one, forwards it and echoes it', async () => {
    const res = await call('GET', '/api/restaurants/00000000-0000-4000-8000-000000000000/menu');

    expect(res.status).toBe(200);
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.body.headers['x-request-id']).toBe(id);
  });

  it('when a path matches no route, then 404 NOT_FOUND in the contract shape', async () => {
    const res = await call('GET', '/api/nothing-here', { headers: { 'x-request-id': 'lost-1' } });

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), requestId: 'lost-1' } });
  });

  /**
   * Writes `head` on a raw socket (every HTTP client would refuse to send what these tests send) and
   * reads until the gateway has answered and closed the connection.
   */
  const rawExchange = (head: string): Promise<string> => {
    const { port } = new URL(gateway.baseUrl);
    return new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write(`${head}X-Forwarded-For: ${randomClientIp()}\r\n\r\n`),
      );
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
  };

  it('when the request target cannot be read as a URL, then 400 VALIDATION_FAILED in the contract shape, not a 500', async () => {
    const answer = await rawExchange(`GET //[/api/restaurants HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n`);

    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when the request line is past what Node parses, then 400 VALIDATION_FAILED in the contract shape, not a bare 431', async () => {
    const answer = await rawExchange(`GET /api/restaurants?q=${'x'.repeat(20_000)} HTTP/1.1\r\nHost: gateway\r\n`);

    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when an internal path is asked for, directly or through dot segments, then it is never routed', async () => {
    const before = echo.seen.length;

    const direct = await call('GET', '/internal/users/x/addresses/y');
    const dotted = await rawRequest('/api/users/../../internal/users/x', {
      headers: { authorization: `Bearer ${token()}` },
    });
    const encoded = await rawRequest('/api/users/%2e%2e/%2e%2e/internal/users/x', {
      headers: { authorization: `Bearer ${token()}` },
    });

    expect([direct.status, dotted.status, encoded.status]).toEqual([404, 404, 404]);
    expect(echo.seen.length).toBe(before);
  });
});

describe('jwt on guarded routes', () => {
  const expired = () => signTestAccessToken({ privateKey: keys.privateKey, expiresInS: -10 });
  const foreign = () => signTestAccessToken({ privateKey: otherKeys.privateKey });
  const refreshShaped = () =>
    jwt.sign({ role: 'customer' }, keys.privateKey, {
      algorithm: 'ES256',
      subject: randomUUID(),
      issuer: 'foodflow-user-service',
      audience: 'foodflow',
      expiresIn: 900,
      jwtid: randomUUID(),
    });

  it.each([
    ['no token', undefined, 'UNAUTHENTICATED'],
    ['a token signed by another key', foreign, 'UNAUTHENTICATED'],
    ['an expired token', expired, 'TOKEN_EXPIRED'],
    ['a token that is not an access token', refreshShaped, 'UNAUTHENTICATED'],
    ['a malformed token', () => 'not.a.jwt', 'UNAUTHENTICATED'],
  ])('when %s is presented, then the gateway refuses with 401 and the service never sees it', async (_, make, code) => {
    const before = echo.seen.length;

    const res = await call('GET', '/api/orders', { token: make?.() });

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
    expect(echo.seen.length).toBe(before);
  });

  it('when a valid token is presented, then the guarded route is proxied with the Authorization header', async () => {
    const bearer = token();

    const res = await call('PUT', '/api/deliveries/abc/location', { token: bearer, body: { lat: 1, lng: 2 } });

    expect(res.status).toBe(200);
    expect(res.body.headers.authorization).toBe(`Bearer ${bearer}`);
    expect(res.body.bodyBytes).toBe(JSON.stringify({ lat: 1, lng: 2 }).length);
  });

  it('when restaurants are read without a token, then it passes, but creating one without a token does not', async () => {
    const read = await call('GET', '/api/restaurants');
    const create = await call('POST', '/api/restaurants', { body: { name: 'x' } });
    const login = await call('POST', '/api/auth/login', { body: { email: 'a@b.c', password: 'x' } });
    const logout = await call('POST', '/api/auth/logout', { body: {} });

    expect([read.status, create.status, login.status, logout.status]).toEqual([200, 401, 200, 401]);
  });
});

describe('request size', () => {
  const MiB = 2 ** 20;

  it('when Content-Length says more than 1 MiB, then 413 PAYLOAD_TOO_LARGE before the body is read', async () => {
    const res = await rawRequest('/api/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': MiB + 1 },
      write: (req) => req.flushHeaders(),
    });

    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('when a chunked body grows past 1 MiB, then 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await rawRequest('/api/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      write: (req) => {
        const chunk = Buffer.alloc(64 * 1024, 'a');
        for (let i = 0; i < 17; i++) req.write(chunk);
        req.end();
      },
    });

    expect(res.status).toBe(413);
    expect(res.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('when a chunked body is exactly 1 MiB, then the service receives all of it', async () => {
    const res = await rawRequest('/api/auth/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      write: (req) => {
        const chunk = Buffer.alloc(64 * 1024, 'a');
        for (let i = 0; i < 16; i++) req.write(chunk);
        req.end();
      },
    });

    expect(res.status).toBe(200);
    expect((res.body as { bodyBytes?: number }).bodyBytes).toBe(MiB);
  });
});

describe('cors', () => {
  it('when a web app origin sends a preflight, then it is allowed without a token and never reaches the service', async () => {
    const before = echo.seen.length;

    const res = await call('OPTIONS', '/api/orders', {
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });

    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
    expect(echo.seen.length).toBe(before);
  });

  it('when another origin sends a preflight, then no CORS grant comes back', async () => {
    const res = await call('OPTIONS', '/api/orders', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });

    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('when the web app calls, then the request id is exposed to its scripts', async () => {
    const res = await call('GET', '/api/restaurants', { headers: { origin: 'http://localhost' } });

    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-ID');
  });
});

describe('a service that is down', () => {
  it('when the service refuses connections, then 503 DEPENDENCY_UNAVAILABLE, not a hang', async () => {
    const stopped = await startHttp(express());
    await stopped.close();
    const isolated = await startGateway({ publicKey: keys.publicKey, serviceUrl: stopped.baseUrl });
    try {
      const res = await http('GET', `${isolated.baseUrl}/api/orders`, { token: token() });

      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
      expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
    } finally {
      await isolated.close();
    }
  });

  it('when the service accepts but never answers, then 503 DEPENDENCY_UNAVAILABLE after its read_timeout', async () => {
    const silent = express();
    silent.use(() => undefined);
    const hung = await startHttp(silent);
    const isolated = await startGateway({
      publicKey: keys.publicKey,
      serviceUrl: hung.baseUrl,
      env: { KONG_CONFIG_FILE: declarationWithReadTimeout(300) },
    });
    try {
      const res = await http('GET', `${isolated.baseUrl}/api/restaurants`);

      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('DEPENDENCY_UNAVAILABLE');
    } finally {
      await isolated.close();
      await hung.close();
    }
  });
});

describe('operations', () => {
  it('when Prometheus scrapes, then request durations are labelled by Kong route', async () => {
    await call('GET', '/api/restaurants');

    const res = await http('GET', `${gateway.baseUrl}/metrics`);

    expect(res.status).toBe(200);
    expect(res.body).toMatch(/gateway_request_duration_seconds_count\{[^}]*route="restaurants-read"/);
  });

  it('when readiness is probed, then it reports Redis', async () => {
    const res = await http('GET', `${gateway.baseUrl}/health/ready`);

    expect(res.status).toBe(200);
    expect(res.body.checks.redis.status).toBe('up');
  });
});
