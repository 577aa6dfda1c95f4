import { randomUUID } from 'node:crypto';
import { generateTestKeys, http, signTestAccessToken } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomClientIp, type RunningGateway, startEchoService, startGateway } from './support.js';

const keys = generateTestKeys();
const token = (sub: string): string => signTestAccessToken({ privateKey: keys.privateKey, sub });

let echo: Awaited<ReturnType<typeof startEchoService>>;
let perMinute: RunningGateway;
let perHour: RunningGateway;

beforeAll(async () => {
  echo = await startEchoService();
  perMinute = await startGateway({
    publicKey: keys.publicKey,
    serviceUrl: echo.baseUrl,
    env: { RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_PER_HOUR: '1000' },
  });
  perHour = await startGateway({
    publicKey: keys.publicKey,
    serviceUrl: echo.baseUrl,
    env: { RATE_LIMIT_PER_MINUTE: '100', RATE_LIMIT_PER_HOUR: '2' },
  });
});

afterAll(async () => {
  await perMinute?.close();
  await perHour?.close();
  await echo?.close();
});

const from = (gateway: RunningGateway, ip: string, path: string, bearer?: string) =>
  http('GET', `${gateway.baseUrl}${path}`, { token: bearer, headers: { 'x-forwarded-for': ip } });

async function exhaust(
  gateway: RunningGateway,
  ip: string,
  path: string,
  bearer?: string,
  times = 3,
): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await from(gateway, ip, path, bearer)).status);
  return statuses;
}

describe('anonymous callers, counted per client address', () => {
  it('when an address goes over the minute limit, then 429 RATE_LIMITED with Retry-After, and other addresses are untouched', async () => {
    const ip = randomClientIp();
    const allowed = await exhaust(perMinute, ip, '/api/restaurants');

    const refused = await from(perMinute, ip, '/api/restaurants');
    const neighbour = await from(perMinute, randomClientIp(), '/api/restaurants');

    expect(allowed).toEqual([200, 200, 200]);
    expect(refused.status).toBe(429);
    expect(refused.body.error).toEqual({
      code: 'RATE_LIMITED',
      message: expect.any(String),
      requestId: expect.any(String),
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(neighbour.status).toBe(200);
    expect(neighbour.headers.get('x-ratelimit-remaining-minute')).toBe('2');
  });
});

describe('signed-in callers, counted per user', () => {
  it('when an address is used up by anonymous calls, then a signed-in user behind it still gets through', async () => {
    const ip = randomClientIp();
    await exhaust(perMinute, ip, '/api/restaurants');

    const anonymous = await from(perMinute, ip, '/api/restaurants');
    const signedIn = await from(perMinute, ip, '/api/orders', token(randomUUID()));

    expect(anonymous.status).toBe(429);
    expect(signedIn.status).toBe(200);
  });

  it('when a user goes over the limit, then only that user is refused, from any address', async () => {
    const ip = randomClientIp();
    const busy = randomUUID();
    const allowed = await exhaust(perMinute, ip, '/api/orders', token(busy));

    const again = await from(perMinute, ip, '/api/orders', token(busy));
    const elsewhere = await from(perMinute, randomClientIp(), '/api/cart', token(busy));
    const colleague = await from(perMinute, ip, '/api/orders', token(randomUUID()));
    const anonymousNeighbour = await from(perMinute, ip, '/api/restaurants');

    expect(allowed).toEqual([200, 200, 200]);
    expect(again.status).toBe(429);
    expect(elsewhere.status).toBe(429);
    expect(colleague.status).toBe(200);
    expect(anonymousNeighbour.status).toBe(200);
  });

  it('when a signed-in user reads a public route, then it counts against the user, not the address', async () => {
    const ip = randomClientIp();
    await exhaust(perMinute, ip, '/api/restaurants');

    const res = await from(perMinute, ip, '/api/restaurants', token(randomUUID()));

    expect(res.status).toBe(200);
  });
});

describe('the hour window', () => {
  it('when the hourly limit is used up, then 429 with a Retry-After beyond the minute', async () => {
    const ip = randomClientIp();
    const allowed = await exhaust(perHour, ip, '/api/restaurants', undefined, 2);

    const refused = await from(perHour, ip, '/api/restaurants');

    expect(allowed).toEqual([200, 200]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(60);
    expect(refused.headers.get('x-ratelimit-remaining-hour')).toBeNull();
  });
});

describe('refused requests', () => {
  it('when an address keeps sending forged tokens, then those 401s count and it is soon limited', async () => {
    const ip = randomClientIp();
    const forged = await exhaust(perMinute, ip, '/api/orders', 'not.a.token');
    expect(forged).toEqual([401, 401, 401]);
    const next = await from(perMinute, ip, '/api/orders', 'not.a.token');
    expect(next.status).toBe(429);
    expect((await from(perMinute, randomClientIp(), '/api/restaurants')).status).toBe(200);
  });

  it('when an address probes unknown paths, then those 404s count too', async () => {
    const ip = randomClientIp();
    expect(await exhaust(perMinute, ip, `/api/${randomUUID()}`)).toEqual([404, 404, 404]);
    expect((await from(perMinute, ip, '/api/restaurants')).status).toBe(429);
  });
});

describe('several gateway instances', () => {
  it('when an address calls two instances in turn, then they share one count in Redis', async () => {
    const other = await startGateway({
      publicKey: keys.publicKey,
      serviceUrl: echo.baseUrl,
      env: { RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_PER_HOUR: '1000' },
    });
    try {
      const ip = randomClientIp();
      const statuses: number[] = [];
      for (const gateway of [perMinute, other, perMinute, other]) {
        statuses.push((await from(gateway, ip, '/api/restaurants')).status);
      }

      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await other.close();
    }
  });
});

describe('without Redis', () => {
  it('when Redis cannot be reached, then the API stays up and limits are counted in memory', async () => {
    const gateway = await startGateway({
      publicKey: keys.publicKey,
      serviceUrl: echo.baseUrl,
      env: { REDIS_URL: 'redis://127.0.0.1:1/0', RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_PER_HOUR: '1000' },
    });
    try {
      const ip = randomClientIp();
      expect(await exhaust(gateway, ip, '/api/restaurants', undefined, 2)).toEqual([200, 200]);
      expect((await from(gateway, ip, '/api/restaurants')).status).toBe(429);
    } finally {
      await gateway.close();
    }
  });
});
