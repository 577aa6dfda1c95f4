import { Router } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppError,
  createHttpApp,
  createLogger,
  createMetrics,
  InternalClient,
  requireService,
  signServiceToken,
} from '@foodflow/platform';
import { http, type RunningApp, startHttp } from '@foodflow/platform/testing';

const logger = createLogger({ service: 'platform-test', silent: true });
const secret = 'a-test-internal-secret-of-at-least-32-chars';
let peer: RunningApp;
let slowRequests = 0;

beforeAll(async () => {
  const router = Router();
  const guard = requireService({ secret, self: 'user-service', allowed: ['order-service'] });
  router.get('/internal/things/:id', guard, (req, res) => {
    if (req.params['id'] === 'missing') throw new AppError('NOT_FOUND', 'thing not found');
    res.json({ id: req.params['id'], caller: res.locals.caller, requestId: req.get('x-request-id') });
  });
  router.get('/internal/slow', guard, async (_req, res) => {
    slowRequests += 1;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    res.json({ late: true });
  });
  router.post('/internal/echo', guard, (req, res) => {
    res.status(201).json({ received: req.body, requestId: req.get('x-request-id') ?? null });
  });
  router.get('/internal/cut', guard, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"partial":');
    setTimeout(() => res.socket?.destroy(), 20);
  });
  router.get('/internal/broken', guard, () => {
    throw new Error('boom');
  });
  peer = await startHttp(
    createHttpApp({ logger, metrics: createMetrics('platform-test'), health: [], routes: (a) => a.use(router) }),
  );
});

afterAll(async () => {
  await peer.close();
});

const client = (caller = 'order-service', timeoutMs = 2000, baseUrl?: string): InternalClient =>
  new InternalClient({ baseUrl: baseUrl ?? peer.baseUrl, caller, target: 'user-service', secret, timeoutMs });

describe('service-to-service calls', () => {
  it('when an allowed service calls, then the callee knows who called', async () => {
    const body = await client().get<{ id: string; caller: string }>('/internal/things/42');
    expect(body).toMatchObject({ id: '42', caller: 'order-service' });
  });

  it('when the callee answers a contract error, then the caller raises the same error', async () => {
    await expect(client().get('/internal/things/missing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('when a service that is not allowed calls, then 403, which reaches the caller as its dependency failing', async () => {
    const token = signServiceToken(secret, 'delivery-service', 'user-service');
    const res = await http('GET', `${peer.baseUrl}/internal/things/1`, {
      headers: { authorization: `Service ${token}` },
    });
    expect(res.status).toBe(403);
    await expect(client('delivery-service').get('/internal/things/1')).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
    });
  });

  it('when there is no service token, or a user-style bearer token, then 401', async () => {
    expect((await http('GET', `${peer.baseUrl}/internal/things/1`)).status).toBe(401);
    const res = await http('GET', `${peer.baseUrl}/internal/things/1`, { token: 'abc.def.ghi' });
    expect(res.status).toBe(401);
  });

  it('when the token was signed with another secret or for another service, then 401', async () => {
    const forged = signServiceToken('another-secret-another-secret-another!', 'order-service', 'user-service');
    const wrongAudience = signServiceToken(secret, 'order-service', 'restaurant-service');
    for (const token of [forged, wrongAudience]) {
      const res = await http('GET', `${peer.baseUrl}/internal/things/1`, {
        headers: { authorization: `Service ${token}` },
      });
      expect(res.status).toBe(401);
    }
  });

  it('when the callee is too slow, then the caller gives up with 503 after its timeout', async () => {
    const before = slowRequests;
    await expect(client('order-service', 100).get('/internal/slow')).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
    });
    expect(slowRequests).toBe(before + 1);
  });

  it('when a body is posted, then the callee receives it as JSON and its answer comes back', async () => {
    const body = { lines: [{ menuItemId: 'a', quantity: 2 }], note: 'ünïcödé' };
    expect(await client().post('/internal/echo', body)).toEqual({ received: body, requestId: null });
  });

  it('when the answer of the callee is cut off midway, then 503', async () => {
    await expect(client().get('/internal/cut')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    // The pool goes on working after the broken connection.
    await expect(client().get('/internal/things/7')).resolves.toMatchObject({ id: '7' });
  });

  it('when the callee fails or is not there, then 503', async () => {
    await expect(client().get('/internal/broken')).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    await expect(client('order-service', 500, 'http://127.0.0.1:1').get('/internal/things/1')).rejects.toMatchObject({
      code: 'DEPENDENCY_UNAVAILABLE',
    });
  });
});
