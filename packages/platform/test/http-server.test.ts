import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Express } from 'express';
import Joi from 'joi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppError,
  createHttpApp,
  createHttpServer,
  createLogger,
  createMetrics,
  listen,
  RequestShapes,
  validate,
} from '@foodflow/platform';

const logger = createLogger({ service: 'platform-test', silent: true });

function testApp(): Express {
  return createHttpApp({
    logger,
    metrics: createMetrics('platform-test'),
    health: [],
    routes: (app) => {
      app.get(
        '/api/items/:id',
        validate({ params: Joi.object({ id: Joi.string().guid().required() }) }),
        (req, res) => {
          res.json({ id: req.params['id'] });
        },
      );
      app.post('/api/items', validate({ body: Joi.object({ name: Joi.string().required() }) }), (req, res) => {
        res.status(201).json({ received: req.body });
      });
      app.get(
        '/api/search',
        validate({ query: Joi.object({ page: Joi.number().integer().default(1) }) }),
        (req, res) => {
          res.json({ page: req.query['page'] });
        },
      );
      // Read without validation: Express's own getter parses it on each request.
      app.get('/api/raw', (req, res) => {
        res.json(req.query);
      });
      app.get('/api/conflict', () => {
        throw new AppError('CONFLICT', 'Already there');
      });
    },
  });
}

const ID = '0b0c2a5e-3f43-4a4e-9a57-6f6d0d3b3a11';

/** One of each kind of request: path parameters, a JSON body, a query (validated and not), an error, a 404. */
const requests: { path: string; init?: RequestInit }[] = [
  { path: `/api/items/${ID}` },
  {
    path: '/api/items',
    init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"Soup"}' },
  },
  { path: '/api/search?page=3' },
  { path: '/api/raw?x=1' },
  { path: '/api/raw?x=2&y=3' },
  { path: '/api/conflict' },
  { path: '/api/nowhere' },
  { path: `/api/items/not-a-guid` },
];

async function serve(listener: RequestListener): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const { port, close } = await listen(createServer(listener), 0, '127.0.0.1');
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => close(1000) };
}

/** Each request's status and body, in order. */
async function answers(baseUrl: string): Promise<{ status: number; body: unknown }[]> {
  const all = [];
  for (const { path, init } of requests) {
    const response = await fetch(`${baseUrl}${path}`, init);
    const body = (await response.json()) as Record<string, unknown>;
    // The request id differs per request; everything else must be the same.
    if (typeof body['error'] === 'object' && body['error'] !== null)
      delete (body['error'] as Record<string, unknown>)['requestId'];
    all.push({ status: response.status, body });
  }
  return all;
}

describe('Requests shaped in advance for Express', () => {
  const shapes = new RequestShapes();
  /** What each request and response gained after being shaped, by path, in the order they closed. */
  const gained: { path: string; request: PropertyKey[]; response: PropertyKey[] }[] = [];
  let closed: () => void = () => undefined;
  let server: { baseUrl: string; close: () => Promise<void> };

  const keys = (target: object): Set<PropertyKey> => new Set(Reflect.ownKeys(target));
  const added = (target: object, before: Set<PropertyKey>): PropertyKey[] =>
    Reflect.ownKeys(target).filter((key) => !before.has(key));

  beforeAll(async () => {
    const app = testApp();
    server = await serve((req: IncomingMessage, res: ServerResponse) => {
      shapes.prepare(req, res);
      shapes.observe(req, res);
      const requestBefore = keys(req);
      const responseBefore = keys(res);
      const path = req.url ?? '';
      res.once('close', () => {
        gained.push({ path, request: added(req, requestBefore), response: added(res, responseBefore) });
        closed();
      });
      app(req, res);
    });
  });

  afterAll(() => server.close());

  /** Sends every kind of request once and waits until the server has closed each response. */
  async function round(): Promise<typeof gained> {
    gained.length = 0;
    const allClosed = new Promise<void>((resolve) => {
      closed = () => {
        if (gained.length === requests.length) resolve();
      };
    });
    await answers(server.baseUrl);
    await allClosed;
    return [...gained];
  }

  it('when requests have taught it, then Express, its router and Node add no property to a later request or response', async () => {
    const [first] = await round();
    // The very first request, untaught, gains properties after Express changed its prototypes, each a layout copy.
    expect(first?.request.length).toBeGreaterThan(3);
    expect(first?.response.length).toBeGreaterThan(0);

    const later = await round();
    for (const { path, request, response } of later) {
      expect(response, path).toEqual([]);
      // Validation shadows Express's `query` getter with the validated value: the one property left to add.
      expect(request, path).toEqual(path.startsWith('/api/search') ? ['query'] : []);
    }
  });

  it('when a shaped request reads a getter of Express, then the getter still runs for it', async () => {
    await round();
    const first = await fetch(`${server.baseUrl}/api/raw?x=1`);
    const second = await fetch(`${server.baseUrl}/api/raw?z=9`);
    expect(await first.json()).toEqual({ x: '1' });
    expect(await second.json()).toEqual({ z: '9' });
  });
});

describe('createHttpServer', () => {
  it('when the same requests reach the app in it and in a plain node:http server, then the answers are the same', async () => {
    const app = testApp();
    const plain = await serve(app);
    const shaped = await listen(createHttpServer(app), 0, '127.0.0.1');
    try {
      const shapedUrl = `http://127.0.0.1:${shaped.port}`;
      // Twice through the shaped server: untaught, then shaped from what the first requests taught.
      const expected = await answers(plain.baseUrl);
      expect(await answers(shapedUrl)).toEqual(expected);
      expect(await answers(shapedUrl)).toEqual(expected);
      expect(expected.map((a) => a.status)).toEqual([200, 201, 200, 200, 200, 409, 404, 400]);
    } finally {
      await plain.close();
      await shaped.close(1000);
    }
  });
});
