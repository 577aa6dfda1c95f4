import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AppError,
  type AuthUser,
  bearerToken,
  dependencyUnavailable,
  errorBody,
  errorHandler,
  healthRouter,
  infrastructureChecks,
  type Logger,
  type Metrics,
  type Redis,
  REQUEST_ID_HEADER,
  requestId,
  runWithContext,
  type TokenVerifier,
} from '@foodflow/platform';
import cors from 'cors';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
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
  app: Express;
  /** Handles `upgrade` events of the HTTP server (Socket.IO's WebSocket transport). */
  upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  stop: () => void;
}

const REQUEST_ID = REQUEST_ID_HEADER.toLowerCase();

/**
 * The path Kong would route on: dot segments resolved, also percent-encoded ones
 * (`/api/users/%2e%2e/%2e%2e/internal` is `/internal`), so no spelling of a path reaches a route it
 * does not belong to. The request goes on with this path.
 */
const normalisedUrl = (url: string): URL => new URL(url, 'http://gateway.invalid');

/**
 * The local gateway: enforces the routes and plugins of `gateway/kong.yml` in Kong's plugin order
 * (correlation id → cors → route → jwt → request size → rate limit → proxy), so the stack behaves
 * the same behind `npm start` as behind Kong.
 */
export function createApp({ config, logger, metrics, redis, verifier }: GatewayDeps): Gateway {
  const policy = gatewayPolicy(config);
  if (policy.requestIdHeader && policy.requestIdHeader.toLowerCase() !== REQUEST_ID) {
    throw new Error(`The correlation-id plugin must use ${REQUEST_ID_HEADER}, as every service does`);
  }
  const limiter = policy.rateLimits && new RateLimiter(redis, policy.rateLimits);
  const proxy = new ServiceProxy();
  const trusted = proxyAddr.compile(config.trustProxy.split(',').map((s) => s.trim()));

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

  const routeFor = (req: IncomingMessage): KongRoute => {
    const url = normalisedUrl(req.url ?? '/');
    const route = policy.routes.match(req.method ?? 'GET', url.pathname);
    if (!route) throw new AppError('NOT_FOUND', `No route for ${req.method} ${url.pathname}`);
    req.url = url.pathname + url.search;
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

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trusted);
  app.use(requestId);
  app.use((req, res, next) => {
    const end = duration.startTimer();
    res.once('finish', () => {
      end({ route: String(res.locals['route'] ?? 'unmatched'), method: req.method, status_code: res.statusCode });
    });
    next();
  });
  app.get('/metrics', metrics.handler);
  app.use(healthRouter(infrastructureChecks({ redis })));
  if (policy.cors) app.use(cors(policy.cors));
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const { route, rateLimitHeaders } = await admit(req);
    res.locals['route'] = route.name;
    res.set(rateLimitHeaders);
    const { bodyLimitBytes } = policy;
    if (bodyLimitBytes !== undefined && Number(req.get('content-length') ?? 0) > bodyLimitBytes) {
      throw payloadTooLarge(bodyLimitBytes);
    }

    req.headers[REQUEST_ID] = String(res.locals['requestId']);
    const failed = (err: Error): void => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      upstreamFailures.inc({ service: route.service });
      next(dependencyUnavailable(`The ${route.service}`, err));
    };
    const chunked = req.get('content-length') === undefined && req.get('transfer-encoding') !== undefined;
    if (bodyLimitBytes === undefined || !chunked) {
      proxy.web(req, res, policy.target(route), failed);
      return;
    }
    const body = req.pipe(new BodyLimit(bodyLimitBytes));
    body.once('error', (err) => {
      proxy.abandon(req);
      if (res.headersSent) return;
      // The rest of the body is never read, so the connection cannot carry another request.
      res.set('Connection', 'close');
      next(err);
    });
    proxy.web(req, res, policy.target(route), failed, body);
  });
  app.use(errorHandler(logger));

  /** Refuses an upgrade before it happens: a plain HTTP answer in the contract's shape, then close. */
  const refuseUpgrade = (socket: Duplex, error: AppError, id: string): void => {
    const body = JSON.stringify(runWithContext({ requestId: id }, () => errorBody(error.code, error.message)));
    const headers = {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      [REQUEST_ID_HEADER]: id,
      Connection: 'close',
      ...(error.retryAfterSeconds === undefined ? {} : { 'Retry-After': error.retryAfterSeconds }),
    };
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n${head.join('')}\r\n${body}`);
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // The services replace a malformed id themselves; here it is only made sure there is one.
    const id = (req.headers[REQUEST_ID] as string | undefined) ?? randomUUID();
    req.headers[REQUEST_ID] = id;
    socket.on('error', (err) => logger.debug('Upgraded connection closed with an error', { err }));
    void (async () => {
      const { route } = await admit(req);
      proxy.ws(req, socket, head, policy.target(route), (err) => {
        upstreamFailures.inc({ service: route.service });
        if (socket.writable) refuseUpgrade(socket, dependencyUnavailable(`The ${route.service}`, err), id);
      });
    })().catch((err: unknown) => {
      if (err instanceof AppError) {
        refuseUpgrade(socket, err, id);
        return;
      }
      logger.error('Unexpected error while upgrading a connection', { err });
      refuseUpgrade(socket, new AppError('INTERNAL_ERROR', 'Something went wrong'), id);
    });
  };

  return { app, upgrade, stop: () => proxy.close() };
}
