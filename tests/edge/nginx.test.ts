import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { get, type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import { generateTestKeys, http, signTestAccessToken } from '@foodflow/platform/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../gateway/test/support.js';
import {
  type Instance as DeliveryInstance,
  startInstance as startDeliveryInstance,
  token as deliveryToken,
} from '../../services/delivery/test/support.js';
import {
  createRestaurant,
  uniquePlace,
  startRestaurantService,
  type TestRestaurantService,
} from '../../services/restaurant/test/support.js';
import { freePort, readableTempDir, type RunningNginx, startNginx } from './nginx.js';

/**
 * The edge as deployed: the real Nginx with nginx/nginx.conf, in front of the local gateway (which
 * enforces gateway/kong.yml), in front of the real restaurant and delivery services.
 */
const keys = generateTestKeys();
const HASHED_ASSET = '/assets/index-3f9a8b7c2d.js';

let restaurants: TestRestaurantService;
let deliveries: DeliveryInstance;
let gateway: RunningGateway;
let nginx: RunningNginx;

function staticSite(): string {
  const root = readableTempDir('foodflow-site-');
  mkdirSync(join(root, 'assets'), { mode: 0o755 });
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><title>Food Flow</title><script src="/assets/index-3f9a8b7c2d.js"></script>',
  );
  writeFileSync(
    join(root, HASHED_ASSET),
    `export const dishes = ${JSON.stringify(Array.from({ length: 200 }, (_, i) => `dish ${i}`))};`,
  );
  return root;
}

beforeAll(async () => {
  restaurants = await startRestaurantService();
  deliveries = await startDeliveryInstance();
  gateway = await startGateway({
    publicKey: keys.publicKey,
    serviceUrl: restaurants.baseUrl,
    env: { DELIVERY_SERVICE_URL: deliveries.baseUrl },
  });
  const gatewayHost = new URL(gateway.baseUrl).host;
  nginx = await startNginx({
    staticRoot: staticSite(),
    gateway: gatewayHost,
    realtime: gatewayHost,
    rate: '200r/s',
    burst: 200,
  });
});

afterAll(async () => {
  await nginx?.stop();
  await gateway?.close();
  await deliveries?.close();
  await restaurants?.close();
});

/** A raw GET that keeps the body encoded, so compression can be seen. */
function rawGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; bytes: number }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes }));
    }).on('error', reject);
  });
}

const expectEdgeHeaders = (headers: Headers) => {
  expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  // Plain HTTP: HSTS would be ignored by browsers, so it is only sent over TLS.
  expect(headers.get('strict-transport-security')).toBeNull();
};

describe('the web app', () => {
  it('when index.html is requested, then it must be revalidated and carries the security headers', async () => {
    const res = await fetch(`${nginx.baseUrl}/`);

    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Food Flow</title>');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('server')).toBe('nginx');
    expectEdgeHeaders(res.headers);
  });

  it('when a path of the app is opened directly, then index.html is served for the app to route', async () => {
    const res = await fetch(`${nginx.baseUrl}/orders/${randomUUID()}`);

    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>Food Flow</title>');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('when a hashed asset is requested, then it is gzipped and cached for a year', async () => {
    const plain = await rawGet(`${nginx.baseUrl}${HASHED_ASSET}`);
    const zipped = await rawGet(`${nginx.baseUrl}${HASHED_ASSET}`, { 'accept-encoding': 'gzip' });

    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['vary']).toContain('Accept-Encoding');
    expect(zipped.bytes).toBeLessThan(plain.bytes);
    expect(zipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });
});

describe('the API through Nginx and the gateway', () => {
  it('when restaurants are listed, then the restaurant service answers, gzipped, with the caller request id', async () => {
    const owner = restaurants.token('restaurant_owner');
    const place = await uniquePlace();
    for (let i = 0; i < 3; i++) await createRestaurant(restaurants, owner, {}, place);
    const path = `/api/restaurants?near=${place.lat},${place.lng}&radiusKm=5`;

    const zipped = await rawGet(`${nginx.baseUrl}${path}`, { 'accept-encoding': 'gzip', 'x-request-id': 'edge-1' });
    const res = await http('GET', `${nginx.baseUrl}${path}`, { headers: { 'x-request-id': 'edge-2' } });

    expect(zipped.status).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['x-request-id']).toBe('edge-1');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(3);
    expect(res.headers.get('x-request-id')).toBe('edge-2');
    expect(res.headers.get('x-ratelimit-remaining-minute')).not.toBeNull();
    expectEdgeHeaders(res.headers);
    // The service's own security headers are replaced by the edge's, not doubled.
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('when a guarded endpoint is called without a token, then the gateway refuses it in the contract shape', async () => {
    const res = await http('POST', `${nginx.baseUrl}/api/restaurants`, { body: {} });

    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it("when an admin asks a service's readiness through the edge, then the service's own /health/ready answers", async () => {
    const token = signTestAccessToken({ privateKey: keys.privateKey, sub: randomUUID(), role: 'admin' });
    const res = await http('GET', `${nginx.baseUrl}/api/health/restaurant-service/ready`, { token });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ready', checks: { postgres: { status: 'up' } } });
    expectEdgeHeaders(res.headers);
  });

  it('when a body over 1 MiB is announced, then Nginx refuses it with 413 in the contract shape', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${nginx.baseUrl}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(2 * 2 ** 20), 'x-request-id': 'big-1' },
      });
      req.on('response', (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });

    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String), requestId: 'big-1' },
    });
  });
});

describe('real-time tracking through Nginx and the gateway', () => {
  const connect = (options: Parameters<typeof io>[1]): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = io(nginx.baseUrl, { reconnection: false, timeout: 5000, forceNew: true, ...options });
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
    });

  /**
   * The delivery service's own answer to `track`: for an order it has never heard of, with no order service
   * to ask (the test instance's is down), DEPENDENCY_UNAVAILABLE.
   */
  const trackUnknownOrder = (socket: Socket) => socket.timeout(5000).emitWithAck('track', { orderId: randomUUID() });

  it('when a customer connects over WebSocket, then the upgrade passes both hops and the delivery service answers', async () => {
    const socket = await connect({ transports: ['websocket'], auth: { token: deliveryToken('customer') } });
    try {
      expect(socket.io.engine.transport.name).toBe('websocket');
      expect(await trackUnknownOrder(socket)).toMatchObject({ ok: false, error: { code: 'DEPENDENCY_UNAVAILABLE' } });
    } finally {
      socket.close();
    }
  });

  it('when a client starts with long-polling, then its session stays on one server and upgrades', async () => {
    const socket = await connect({ auth: { token: deliveryToken('customer') } });
    try {
      await new Promise<void>((resolve) => {
        if (socket.io.engine.transport.name === 'websocket') resolve();
        else socket.io.engine.once('upgrade', () => resolve());
      });

      expect(await trackUnknownOrder(socket)).toMatchObject({ ok: false, error: { code: 'DEPENDENCY_UNAVAILABLE' } });
    } finally {
      socket.close();
    }
  });

  it('when the handshake carries a bad token, then the delivery service refuses the connection', async () => {
    await expect(connect({ transports: ['websocket'], auth: { token: 'not-a-token' } })).rejects.toThrow();
  });
});

describe('the edge under stress', () => {
  let strict: RunningNginx;

  beforeAll(async () => {
    strict = await startNginx({
      staticRoot: readableTempDir('foodflow-site-'),
      gateway: `127.0.0.1:${await freePort()}`,
      realtime: `127.0.0.1:${await freePort()}`,
      rate: '1r/s',
      burst: 2,
    });
  });

  afterAll(async () => {
    await strict?.stop();
  });

  it('when the gateway is down, then Nginx answers 503 DEPENDENCY_UNAVAILABLE in the contract shape', async () => {
    const res = await http('GET', `${strict.baseUrl}/api/restaurants`, { headers: { 'x-request-id': 'down-1' } });

    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      error: { code: 'DEPENDENCY_UNAVAILABLE', message: expect.any(String), requestId: 'down-1' },
    });
    expect(res.headers.get('retry-after')).toBe('1');
  });

  it('when one address floods the API, then limit_req sheds the excess with 429 RATE_LIMITED', async () => {
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => http('GET', `${strict.baseUrl}/api/restaurants`)),
    );
    const shed = answers.filter((a) => a.status === 429);

    expect(shed.length).toBeGreaterThan(0);
    expect(shed[0]?.body.error.code).toBe('RATE_LIMITED');
    expect(shed[0]?.headers.get('retry-after')).toBe('1');
    expectEdgeHeaders(shed[0]!.headers);
  });
});
