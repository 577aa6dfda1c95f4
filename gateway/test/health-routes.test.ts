import { randomUUID } from 'node:crypto';
import { generateTestKeys, http, signTestAccessToken } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKongDeclaration } from '../src/kong/declaration.js';
import { upstreamPathFor } from '../src/kong/request-transformer.js';
import { requiresToken, RouteTable } from '../src/kong/routes.js';
import { randomClientIp, type RunningGateway, startEchoService, startGateway } from './support.js';

/**
 * `/api/health/<service>/live|ready`: each service's own health endpoints through the gateway, for the
 * web app's Operations page. Kong sends them on with its request-transformer; the local gateway does
 * the same from the same declaration.
 */
const kong = readKongDeclaration();
const routes = new RouteTable(kong.routes);
const BACKENDS = ['user-service', 'restaurant-service', 'order-service', 'delivery-service'];

describe('health routes in the Kong declaration', () => {
  it.each(BACKENDS)(
    'when %s health is asked for, then its own route sends exactly /health/live and /health/ready to it, for a signed-in caller',
    (service) => {
      for (const probe of ['live', 'ready']) {
        const route = routes.match('GET', `/api/health/${service}/${probe}`);
        expect(route?.service).toBe(service);
        expect(requiresToken(route!)).toBe(true);
        expect(upstreamPathFor(route!)(`/api/health/${service}/${probe}`)).toBe(`/health/${probe}`);
      }
    },
  );

  it('when anything else under /api/health is asked for, then no route takes it', () => {
    for (const path of [
      '/api/health/order-service/metrics',
      '/api/health/order-service/ready/../../internal/orders',
      '/api/health/order-service/readyx',
      '/api/health/order-service',
      '/api/health/unknown-service/ready',
      '/api/health/order-service/openapi.json',
    ]) {
      expect(routes.match('GET', path)?.name, path).toBeUndefined();
    }
    expect(routes.match('POST', '/api/health/order-service/ready')).toBeUndefined();
  });
});

describe('health routes through the local gateway', () => {
  const keys = generateTestKeys();
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

  const get = (path: string, token?: string) =>
    http('GET', `${gateway.baseUrl}${path}`, { token, headers: { 'x-forwarded-for': randomClientIp() } });

  it('when an admin asks a service for its readiness, then the service is asked for /health/ready', async () => {
    const token = signTestAccessToken({ privateKey: keys.privateKey, sub: randomUUID(), role: 'admin' });
    const res = await get('/api/health/delivery-service/ready', token);
    expect(res.status).toBe(200);
    expect(res.body.url).toBe('/health/ready');
    expect((await get('/api/health/user-service/live', token)).body.url).toBe('/health/live');
  });

  it('when nobody is signed in, then 401 UNAUTHENTICATED and the service is not asked', async () => {
    const before = echo.seen.length;
    const res = await get('/api/health/order-service/ready');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    expect(echo.seen).toHaveLength(before);
  });

  it("when another of a service's paths is asked for through the health prefix, then 404 NOT_FOUND", async () => {
    const token = signTestAccessToken({ privateKey: keys.privateKey, sub: randomUUID(), role: 'admin' });
    for (const path of ['/api/health/order-service/metrics', '/api/health/order-service/%2e%2e/%2e%2e/internal/x']) {
      const res = await get(path, token);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
  });
});
