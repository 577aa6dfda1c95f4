import { totalmem } from 'node:os';
import express, { Router } from 'express';
import helmet from 'helmet';
import Joi from 'joi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, createHttpApp, createLogger, createMetrics, type HealthCheck, validate } from '@foodflow/platform';
import { http, type RunningApp, startHttp } from '@foodflow/platform/testing';

const logger = createLogger({ service: 'platform-test', silent: true });
let dependencyUp = true;
const health: HealthCheck[] = [
  {
    name: 'fake-dependency',
    check: async () => {
      if (!dependencyUp) throw new Error('down');
    },
  },
];

const itemSchema = Joi.object({ name: Joi.string().required(), quantity: Joi.number().integer().min(1).max(50) });

let app: RunningApp;

beforeAll(async () => {
  const router = Router();
  router.post('/api/items', validate({ body: itemSchema }), (req, res) => {
    res.status(201).json({ received: req.body });
  });
  router.get('/api/items/:id', validate({ params: Joi.object({ id: Joi.string().guid().required() }) }), (req, res) => {
    res.json({ id: req.params['id'] });
  });
  router.get(
    '/api/search',
    validate({ query: Joi.object({ page: Joi.number().integer().min(1).default(1) }) }),
    (req, res) => {
      res.json({ page: req.query['page'] });
    },
  );
  router.get(
    '/api/remembered',
    validate(
      { query: Joi.object({ page: Joi.number().integer().min(1).default(1), near: Joi.string().max(20) }) },
      { remember: 2 },
    ),
    (req, res) => {
      res.json({ query: req.query, frozen: Object.isFrozen(req.query) });
    },
  );
  router.get(
    '/api/remembered/:id',
    validate({ params: Joi.object({ id: Joi.string().guid().required() }) }, { remember: 1 }),
    (req, res) => {
      res.json({ id: req.params['id'], frozen: Object.isFrozen(req.params) });
    },
  );
  router.get('/api/conflict', () => {
    throw new AppError('CONFLICT', 'Already there');
  });
  router.get('/api/busy', () => {
    throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'Still working', { retryAfterSeconds: 2.2 });
  });
  router.get('/api/explode', async () => {
    throw new Error('secret internal detail at /srv/app.ts:12');
  });
  app = await startHttp(
    createHttpApp({ logger, metrics: createMetrics('platform-test'), health, routes: (a) => a.use(router) }),
  );
});

afterAll(async () => {
  await app.close();
});

describe('the shared HTTP app', () => {
  it('when the body is valid, then the handler gets the validated value', async () => {
    const res = await http('POST', `${app.baseUrl}/api/items`, { body: { name: 'Pizza', quantity: '2' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ received: { name: 'Pizza', quantity: 2 } });
  });

  it('when the body has an unknown field, then 400 VALIDATION_FAILED names it', async () => {
    const res = await http('POST', `${app.baseUrl}/api/items`, { body: { name: 'Pizza', role: 'admin' } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details).toEqual([{ path: 'role', message: 'is not allowed' }]);
    expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
  });

  it('when several fields are wrong, then every problem is listed', async () => {
    const res = await http('POST', `${app.baseUrl}/api/items`, { body: { quantity: 99 } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['name', 'quantity']);
  });

  it('when the JSON is malformed, then 400 MALFORMED_JSON', async () => {
    const res = await http('POST', `${app.baseUrl}/api/items`, { rawBody: '{"name": ' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('MALFORMED_JSON');
  });

  it('when a body is not JSON, then 415 UNSUPPORTED_MEDIA_TYPE, and the handler never runs', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await http('POST', `${app.baseUrl}/api/items`, {
        rawBody: JSON.stringify({ name: 'Pizza' }),
        headers: { 'content-type': type },
      });
      expect(res.status).toBe(415);
      expect(res.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('when a request has an empty body, then no content type is asked for', async () => {
    const res = await http('POST', `${app.baseUrl}/api/items`, {
      rawBody: '',
      headers: { 'content-type': 'text/plain' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when the body is over 1 MiB, then 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await http('POST', `${app.baseUrl}/api/items`, { body: { name: 'x'.repeat(1024 * 1024 + 10) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('when a path parameter is invalid, then 400 names the parameter', async () => {
    const res = await http('GET', `${app.baseUrl}/api/items/not-a-uuid`);
    expect(res.status).toBe(400);
    expect(res.body.error.details[0].path).toBe('id');
  });

  it('when the query is valid, then defaults are applied and values converted', async () => {
    expect((await http('GET', `${app.baseUrl}/api/search`)).body).toEqual({ page: 1 });
    expect((await http('GET', `${app.baseUrl}/api/search?page=3`)).body).toEqual({ page: 3 });
    const unknown = await http('GET', `${app.baseUrl}/api/search?page=1&admin=true`);
    expect(unknown.status).toBe(400);
  });

  it('when a route remembers validated queries, then a repeated query gets the same, frozen value', async () => {
    for (const round of [1, 2]) {
      const first = await http('GET', `${app.baseUrl}/api/remembered?page=3`);
      expect(first.body, `round ${round}`).toEqual({ query: { page: 3 }, frozen: true });
      expect((await http('GET', `${app.baseUrl}/api/remembered`)).body.query).toEqual({ page: 1 });
      expect((await http('GET', `${app.baseUrl}/api/remembered?near=here&page=2`)).body.query).toEqual({
        page: 2,
        near: 'here',
      });
    }
  });

  it('when a route remembers validated queries, then an invalid one is a 400 every time', async () => {
    for (const query of ['page=0', 'page=0', 'page=1&admin=true', 'page=1&admin=true']) {
      const res = await http('GET', `${app.baseUrl}/api/remembered?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.requestId).toBe(res.headers.get('x-request-id'));
    }
    expect((await http('GET', `${app.baseUrl}/api/remembered?page=4`)).body.query).toEqual({ page: 4 });
  });

  it('when a route remembers validated path parameters, then each id gets its own value, and a bad one a 400', async () => {
    const ids = ['3f0e8a52-8d7e-4b8e-9a51-000000000001', '3f0e8a52-8d7e-4b8e-9a51-000000000002'];
    for (const id of [...ids, ...ids, 'not-a-uuid', ids[0], 'not-a-uuid']) {
      const res = await http('GET', `${app.baseUrl}/api/remembered/${id}`);
      if (id === 'not-a-uuid') {
        expect(res.status).toBe(400);
        expect(res.body.error.details[0].path).toBe('id');
      } else {
        expect(res.body).toEqual({ id, frozen: true });
      }
    }
  });

  it('when business code throws an AppError, then its code maps to the contract status', async () => {
    const res = await http('GET', `${app.baseUrl}/api/conflict`);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'CONFLICT', message: 'Already there' });
  });

  it('when something unexpected fails, then 500 carries only the request id, never internals', async () => {
    const res = await http('GET', `${app.baseUrl}/api/explode`, { headers: { 'x-request-id': 'trace-123' } });
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('INTERNAL_ERROR');
    expect(res.body.error.requestId).toBe('trace-123');
    expect(JSON.stringify(res.body)).not.toContain('secret internal detail');
    expect(JSON.stringify(res.body)).not.toContain('app.ts');
  });

  it('when the path has a broken percent-encoding, then 400, never 500', async () => {
    const res = await http('GET', `${app.baseUrl}/api/items/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when business code says when to retry, then Retry-After is set', async () => {
    const res = await http('GET', `${app.baseUrl}/api/busy`);
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toBe('3');
  });

  it('when no route matches, then 404 in the contract shape', async () => {
    const res = await http('GET', `${app.baseUrl}/api/nothing-here`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('when the caller sends an X-Request-ID, then it is echoed; otherwise one is made', async () => {
    const given = await http('GET', `${app.baseUrl}/health/live`, { headers: { 'x-request-id': 'abc-1' } });
    expect(given.headers.get('x-request-id')).toBe('abc-1');
    const made = await http('GET', `${app.baseUrl}/health/live`);
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const hostile = await http('GET', `${app.baseUrl}/health/live`, { headers: { 'x-request-id': 'a b<script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when a dependency is down, then /health/ready is 503 and /health/live stays 200', async () => {
    dependencyUp = false;
    try {
      const ready = await http('GET', `${app.baseUrl}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks['fake-dependency'].status).toBe('down');
      expect((await http('GET', `${app.baseUrl}/health/live`)).status).toBe(200);
    } finally {
      dependencyUp = true;
    }
    expect((await http('GET', `${app.baseUrl}/health/ready`)).status).toBe(200);
  });

  it('then security headers are set and the framework is not advertised', async () => {
    const res = await http('GET', `${app.baseUrl}/health/live`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('then the security headers are exactly those helmet sets', async () => {
    const bare = express();
    bare.use(helmet());
    bare.get('/health/live', (_req, res) => {
      res.json({ status: 'ok' });
    });
    const reference = await startHttp(bare);
    try {
      const expected = (await http('GET', `${reference.baseUrl}/health/live`)).headers;
      const actual = (await http('GET', `${app.baseUrl}/health/live`)).headers;
      const security = [...expected.keys()].filter(
        (name) => !['content-type', 'content-length', 'etag', 'date', 'connection', 'keep-alive'].includes(name),
      );
      expect(security).toContain('content-security-policy');
      expect(security).toContain('strict-transport-security');
      for (const name of security) expect(actual.get(name), name).toBe(expected.get(name));
    } finally {
      await reference.close();
    }
  });

  it('when requests were served, then /metrics labels them by route template, not raw path', async () => {
    const id = '3f0e8a52-8d7e-4b8e-9a51-111111111111';
    await http('GET', `${app.baseUrl}/api/items/${id}`);
    const metrics = await http<string>('GET', `${app.baseUrl}/metrics`);
    expect(metrics.body).toContain('route="/api/items/:id"');
    expect(metrics.body).not.toContain(id);
    expect(metrics.body).toMatch(/http_request_duration_seconds_bucket\{.*method="GET".*status_code="200"/);
    expect(metrics.body).toContain('process_cpu_user_seconds_total');
  });

  it('when /metrics is scraped, then the memory limit the memory alert divides by is there, bounded by the machine', async () => {
    const metrics = await http<string>('GET', `${app.baseUrl}/metrics`);
    const limit = Number(/^process_memory_limit_bytes\{[^}]*\} (\S+)$/m.exec(metrics.body)?.[1]);
    expect(limit).toBeGreaterThan(0);
    expect(limit).toBeLessThanOrEqual(totalmem());
  });
});

describe('the OpenAPI document', () => {
  it('then it is derived from the routes and their validation schemas', async () => {
    const res = await http('GET', `${app.baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.0.3');
    const create = res.body.paths['/api/items'].post;
    expect(create.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, quantity: { type: 'integer', minimum: 1, maximum: 50 } },
    });
    expect(create.responses['201']).toBeDefined();
    expect(res.body.paths['/api/items/{id}'].get.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
    ]);
    expect(res.body.paths['/api/search'].get.parameters).toEqual([
      expect.objectContaining({ name: 'page', in: 'query', required: false }),
    ]);
  });
});
