import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AppError,
  type AuthUser,
  bearerToken,
  dependencyUnavailable,
  errorBody,
  healthRouter,
  infrastructureChecks,
  type Logger,
  type Metrics,
  type Redis,
  REQUEST_ID_HEADER,
  type TokenVerifier,
} from '@foodflow/platform';
import cors from 'cors';
import express, { type Request, type Response } from 'express';
import proxyAddr from 'proxy-addr';
import type { GatewayConfig } from './config.js';
import { BodyLimit, payloadTooLarge } from './edge/body-limit.js';
import { RateLimiter } from './edge/rate-limit.js';
import { ServiceProxy } from './edge/service-proxy.js';
import type { KongRoute } from './kong/declaration.js';
import { gatewayPolicy } from './kong/policy.js';
import { requiresToken } from './kong/routes.js';

export interface GatewayDeps {
  config: GatewayConfig;
  logger: Logger;
  metrics: Metrics;
  redis: Redis;
  verifier: TokenVerifier;
}

export interface Gateway {
  /** Handles `request` events of the HTTP server. */
  handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Handles `upgrade` events of the HTTP server (Socket.IO's WebSocket transport). */
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Handles `clientError` events of the HTTP server: requests Node could not parse. */
  clientError: (err: NodeJS.ErrnoException, socket: Duplex) => void;
  stop: () => void;
}

const REQUEST_ID = REQUEST_ID_HEADER.toLowerCase();

/** A caller's request id is kept only if it is a plain token, as every service and Kong's post-function judge it. */
const PLAIN_ID = /^[\w.:-]{1,128}$/;

const requestIdOf = (req: IncomingMessage): string => {
  const given = req.headers[REQUEST_ID];
  return typeof given === 'string' && PLAIN_ID.test(given) ? given : randomUUID();
};

/**
 * The path Kong would route on: dot segments resolved, also percent-encoded ones
 * (`/api/users/%2e%2e/%2e%2e/internal` is `/internal`), so no spelling of a path reaches a route it
 * does not belong to. The request goes on with this path.
 */
function normalisedUrl(url: string): URL {
  try {
    return new URL(url, 'http://gateway.invalid');
  } catch {
    throw new AppError('VALIDATION_FAILED', 'The request could not be read');
  }
}

/** The gateway's own endpoints, answered before any plugin runs, as Kong's Status API sits beside its proxy. */
const isOperationsPath = (url: string): boolean => url === '/metrics' || url.startsWith('/health/');

interface ErrorAnswer {
  status: number;
  headers: Record<string, string | number>;
  body: string;
}

/**
 * The local gateway: enforces the routes and plugins of `gateway/kong.yml` in Kong's plugin order
 * (correlation id → cors → route → jwt → request size → rate limit → proxy), so the stack behaves
 * the same behind `npm start` as behind Kong. Proxied requests take the shortest path through plain
 * `node:http`: at the edge every request pays for whatever runs here, before the service starts on it.
 */
export function createApp({ config, logger, metrics, redis, verifier }: GatewayDeps): Gateway {
  const policy = gatewayPolicy(config);
  if (policy.requestIdHeader && policy.requestIdHeader.toLowerCase() !== REQUEST_ID) {
    throw new Error(`The correlation-id plugin must use ${REQUEST_ID_HEADER}, as every service does`);
  }
  const limiter = policy.rateLimits && new RateLimiter(redis, policy.rateLimits);
  const proxy = new ServiceProxy();
  const trusted = proxyAddr.compile(config.trustProxy.split(',').map((s) => s.trim()));
  const corsPlugin = policy.cors && cors(policy.cors);

  const operations = express();
  operations.disable('x-powered-by');
  operations.get('/metrics', metrics.handler);
  operations.use(healthRouter(infrastructureChecks({ redis })));

  const duration = metrics.histogram({
    name: 'gateway_request_duration_seconds',
    help: 'Time from request to response at the gateway, by Kong route, method and status code',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  const upstreamFailures = metrics.counter({
    name: 'gateway_upstream_failures_total',
    help: 'Requests answered with 503 because the service did not answer, by service',
    labelNames: ['service'] as const,
  });

  /**
   * The contract's error answer; anything but an AppError is a bug of ours: logged, and a 500 carrying
   * only the id. The id is set by hand rather than through the platform's request context: entering that
   * context once switches on async tracking for the whole process, which every later request would pay for.
   */
  const errorAnswer = (err: unknown, id: string): ErrorAnswer => {
    const request = { http: { request: { id } } };
    let error: AppError;
    if (err instanceof AppError) {
      error = err;
      if (error.status >= 500) logger.warn(error.message, { err: error.cause ?? error, ...request });
    } else {
      logger.error('Unexpected error at the gateway', { err, ...request });
      error = new AppError('INTERNAL_ERROR', 'Something went wrong; quote the request id if you report it');
    }
    const reply = errorBody(error.code, error.message, error.details);
    reply.error.requestId = id;
    const body = JSON.stringify(reply);
    const headers: ErrorAnswer['headers'] = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    };
    if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = error.retryAfterSeconds;
    return { status: error.status, headers, body };
  };

  const refuse = (res: ServerResponse, err: unknown, id: string): void => {
    const answer = errorAnswer(err, id);
    res.writeHead(answer.status, answer.headers).end(answer.body);
  };

  const routeFor = (req: IncomingMessage): KongRoute => {
    const url = normalisedUrl(req.url ?? '/');
    const route = policy.routes.match(req.method ?? 'GET', url.pathname);
    if (!route) throw new AppError('NOT_FOUND', `No route for ${req.method} ${url.pathname}`);
    req.url = policy.upstreamPath(route, url.pathname) + url.search;
    return route;
  };

  /**
   * Kong's jwt plugin: a guarded route needs a valid access token (signature, algorithm, issuer,
   * audience, expiry, type; revocation is the services' check). On any route, a valid token names the
   * caller for the rate limit.
   */
  const authenticate = (route: KongRoute, authorization: string | undefined): AuthUser | undefined => {
    const token = bearerToken(authorization);
    if (!token) {
      if (requiresToken(route)) throw new AppError('UNAUTHENTICATED', 'A valid access token is required');
      return undefined;
    }
    try {
      return verifier.verifySignature(token);
    } catch (err) {
      if (requiresToken(route) || !(err instanceof AppError)) throw err;
      return undefined;
    }
  };

  /**
   * Counts the request per user when one is known, so people behind one address do not starve each
   * other, and per client address otherwise.
   */
  const countRequest = async (user: AuthUser | undefined, req: IncomingMessage): Promise<Record<string, string>> =>
    limiter ? limiter.consume(user ? `user:${user.id}` : `ip:${proxyAddr(req, trusted)}`) : {};

  /**
   * Routes, authenticates and counts a request. A refused one (unknown path, bad token) still counts
   * against its client address: otherwise probing paths or forging tokens would cost nothing.
   */
  const admit = async (
    req: IncomingMessage,
  ): Promise<{ route: KongRoute; rateLimitHeaders: Record<string, string> }> => {
    let route: KongRoute;
    let user: AuthUser | undefined;
    try {
      route = routeFor(req);
      user = authenticate(route, req.headers.authorization);
    } catch (refusal) {
      await countRequest(undefined, req);
      throw refusal;
    }
    return { route, rateLimitHeaders: await countRequest(user, req) };
  };

  /** Admits the request, then hands it to its service; `onRoute` learns the route for the metrics. */
  const forward = async (
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    onRoute: (route: KongRoute) => void,
  ): Promise<void> => {
    const { route, rateLimitHeaders } = await admit(req);
    onRoute(route);
    for (const [name, value] of Object.entries(rateLimitHeaders)) res.setHeader(name, value);
    const { bodyLimitBytes } = policy;
    if (bodyLimitBytes !== undefined && Number(req.headers['content-length'] ?? 0) > bodyLimitBytes) {
      throw payloadTooLarge(bodyLimitBytes);
    }

    const failed = (err: Error): void => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      upstreamFailures.inc({ service: route.service });
      refuse(res, dependencyUnavailable(`The ${route.service}`, err), id);
    };
    const chunked = req.headers['content-length'] === undefined && req.headers['transfer-encoding'] !== undefined;
    if (bodyLimitBytes === undefined || !chunked) {
      proxy.web(req, res, policy.target(route), failed);
      return;
    }
    const body = req.pipe(new BodyLimit(bodyLimitBytes));
    body.once('error', (err) => {
      proxy.abandon(req);
      if (res.headersSent) return;
      // The rest of the body is never read, so the connection cannot carry another request.
      res.setHeader('Connection', 'close');
      refuse(res, err, id);
    });
    proxy.web(req, res, policy.target(route), failed, body);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const id = requestIdOf(req);
    // The service sees the same id the caller gets back.
    req.headers[REQUEST_ID] = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    const end = duration.startTimer();
    let routeName = 'unmatched';
    res.once('finish', () => end({ route: routeName, method: req.method, status_code: res.statusCode }));

    const gateway = (): void => {
      forward(req, res, id, (route) => (routeName = route.name)).catch((err: unknown) => {
        if (res.headersSent) res.destroy();
        else refuse(res, err, id);
      });
    };
    const plugins = (): void => {
      if (!corsPlugin) return gateway();
      corsPlugin(req, res, (err?: unknown) => (err ? refuse(res, err, id) : gateway()));
    };
    if (!isOperationsPath(req.url ?? '/')) return plugins();
    // Anything the operations app does not answer (`/health/else`) goes through the gateway like any path.
    operations(req as Request, res as Response, (err?: unknown) => (err ? refuse(res, err, id) : plugins()));
  };

  /** Refuses on the bare socket (an upgrade before it happens, an unparsable request): the contract's shape, then close. */
  const refuseOnSocket = (socket: Duplex, err: unknown, id: string): void => {
    const answer = errorAnswer(err, id);
    const headers = { ...answer.headers, [REQUEST_ID_HEADER]: id, Connection: 'close' };
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.end(`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\n${head.join('')}\r\n${answer.body}`);
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const id = requestIdOf(req);
    req.headers[REQUEST_ID] = id;
    socket.on('error', (err) => logger.debug('Upgraded connection closed with an error', { err }));
    void (async () => {
      const { route } = await admit(req);
      proxy.ws(req, socket, head, policy.target(route), (err) => {
        upstreamFailures.inc({ service: route.service });
        if (socket.writable) refuseOnSocket(socket, dependencyUnavailable(`The ${route.service}`, err), id);
      });
    })().catch((err: unknown) => refuseOnSocket(socket, err, id));
  };

  /**
   * A request Node cannot parse (a request line or headers past its 16 KiB limit, broken HTTP) never
   * reaches `handle`, and Node's own answer is a bare 431 or 400 without a body; the contract promises
   * its error shape for every refusal.
   */
  const clientError = (err: NodeJS.ErrnoException, socket: Duplex): void => {
    if (!socket.writable || err.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const message =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? 'The request line and headers are larger than 16 KiB'
        : 'The request could not be read';
    refuseOnSocket(socket, new AppError('VALIDATION_FAILED', message), randomUUID());
  };

  return { handle, upgrade, clientError, stop: () => proxy.close() };
}
