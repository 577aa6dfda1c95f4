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
import { type ProxyTarget, ServiceProxy } from './edge/service-proxy.js';
import {
  type CorrelationIdConfig,
  type CorsConfig,
  type KongRoute,
  payloadLimitBytes,
  pluginConfig,
  type RateLimitingConfig,
  type RequestSizeLimitingConfig,
} from './kong/declaration.js';
import { requiresToken, RouteTable } from './kong/routes.js';

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

/**
 * The path Kong would route on: dot segments resolved (`/api/users/../../internal` is `/internal`),
 * so no spelling of a path reaches a route it does not belong to.
 */
const normalisedUrl = (url: string): URL => new URL(url, 'http://gateway.invalid');

/**
 * The local gateway: enforces the routes and plugins of `gateway/kong.yml` in Kong's order
 * (correlation id → cors → route → jwt → request size → rate limit → proxy), so the stack behaves
 * the same behind `npm start` as behind Kong.
 */
export function createApp({ config, logger, metrics, redis, verifier }: GatewayDeps): Gateway {
  const { kong } = config;
  const routes = new RouteTable(kong.routes);
  const proxy = new ServiceProxy();

  const correlation = pluginConfig<CorrelationIdConfig>('correlation-id', kong.plugins);
  if (correlation && correlation.header_name?.toLowerCase() !== REQUEST_ID_HEADER.toLowerCase()) {
    throw new Error(`The correlation-id plugin must use ${REQUEST_ID_HEADER}, as every service does`);
  }
  const sizeConfig = pluginConfig<RequestSizeLimitingConfig>('request-size-limiting', kong.plugins);
  const bodyLimitBytes = sizeConfig ? payloadLimitBytes(sizeConfig) : undefined;
  const limitsConfig = pluginConfig<RateLimitingConfig>('rate-limiting', kong.plugins);
  const perMinute = config.rateLimit.perMinute ?? limitsConfig?.minute;
  const perHour = config.rateLimit.perHour ?? limitsConfig?.hour;
  const limiter =
    perMinute !== undefined && perHour !== undefined ? new RateLimiter(redis, { perMinute, perHour }) : undefined;
  const corsConfig = pluginConfig<CorsConfig>('cors', kong.plugins);

  const duration = metrics.histogram({
    name: 'gateway_request_duration_seconds',
    help: 'Time from request to response at the gateway, by Kong route, method and status code',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  const upstreamFailures = metrics.counter({
    name: 'gateway_upstream_failures_total',
    help: 'Requests the gateway answered with 503 because the service did not answer, by service',
    labelNames: ['service'] as const,
  });

  const trusted = proxyAddr.compile(config.trustProxy.split(',').map((s) => s.trim()));
  const clientIp = (req: IncomingMessage): string => proxyAddr(req, trusted);

  const target = (route: KongRoute): ProxyTarget => {
    const service = kong.services.find((s) => s.name === route.service);
    const url = service && config.serviceUrls[service.name];
    if (!service || !url) throw new Error(`Route ${route.name} names an unknown service ${route.service}`);
    return { url, timeoutMs: service.read_timeout ?? 60_000 };
  };

  /** The caller behind a valid access token, or why the token was refused. Revocation is the services' job. */
  const identify = (authorization: string | undefined): { user?: AuthUser; refusal?: AppError } => {
    const token = bearerToken(authorization);
    if (!token) return { refusal: new AppError('UNAUTHENTICATED', 'A valid access token is required') };
    try {
      return { user: verifier.verifySignature(token) };
    } catch (err) {
      if (err instanceof AppError) return { refusal: err };
      throw err;
    }
  };

  /**
   * Admits a request to a route: a guarded route needs a valid token; then the rate limit counts it,
   * per user when a valid token comes with it (so people behind one address do not starve each
   * other), per client address otherwise. Returns the limit headers to pass on.
   */
  const admit = async (route: KongRoute, authorization: string | undefined, ip: string) => {
    const { user, refusal } = identify(authorization);
    if (refusal && requiresToken(route)) throw refusal;
    return limiter ? limiter.consume(user ? `user:${user.id}` : `ip:${ip}`) : {};
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
  app.use(healthRouter([{ name: 'redis', check: () => redis.ping() }]));
  if (corsConfig) {
    app.use(
      cors({
        origin: config.corsOrigins ?? corsConfig.origins ?? false,
        methods: corsConfig.methods,
        allowedHeaders: corsConfig.headers,
        exposedHeaders: corsConfig.exposed_headers,
        credentials: corsConfig.credentials ?? false,
        maxAge: corsConfig.max_age,
      }),
    );
  }
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const url = normalisedUrl(req.originalUrl);
    const route = routes.match(req.method, url.pathname);
    if (!route) throw new AppError('NOT_FOUND', `No route for ${req.method} ${url.pathname}`);
    res.locals['route'] = route.name;

    const declared = Number(req.get('content-length') ?? 0);
    if (bodyLimitBytes !== undefined && declared > bodyLimitBytes) throw payloadTooLarge(bodyLimitBytes);
    res.set(await admit(route, req.get('authorization'), clientIp(req)));

    req.url = url.pathname + url.search;
    req.headers[REQUEST_ID_HEADER.toLowerCase()] = String(res.locals['requestId']);
    const destination = target(route);
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
      proxy.web(req, res, destination, failed);
      return;
    }
    const body = req.pipe(new BodyLimit(bodyLimitBytes));
    body.once('error', (err) => {
      proxy.abandon(req);
      if (res.headersSent) return;
      // The rest of the body is not read; the connection cannot be reused.
      res.set('Connection', 'close');
      next(err);
    });
    proxy.web(req, res, destination, failed, body);
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
      ...error.headers,
    };
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.end(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n${head.join('')}\r\n${body}`);
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // The services replace a malformed id themselves; the gateway only makes sure there is one.
    const id = (req.headers[REQUEST_ID_HEADER.toLowerCase()] as string | undefined) ?? randomUUID();
    req.headers[REQUEST_ID_HEADER.toLowerCase()] = id;
    socket.on('error', (err) => logger.debug('Upgraded connection closed with an error', { err }));
    void (async () => {
      const url = normalisedUrl(req.url ?? '/');
      const route = routes.match(req.method ?? 'GET', url.pathname);
      if (!route) throw new AppError('NOT_FOUND', `No route for ${req.method} ${url.pathname}`);
      await admit(route, req.headers.authorization, clientIp(req));
      req.url = url.pathname + url.search;
      proxy.ws(req, socket, head, target(route), (err) => {
        upstreamFailures.inc({ service: route.service });
        if (socket.writable) refuseUpgrade(socket, dependencyUnavailable(`The ${route.service}`, err), id);
      });
    })().catch((err: unknown) => {
      if (err instanceof AppError) refuseUpgrade(socket, err, id);
      else {
        logger.error('Unexpected error while upgrading a connection', { err });
        refuseUpgrade(socket, new AppError('INTERNAL_ERROR', 'Something went wrong'), id);
      }
    });
  };

  return { app, upgrade, stop: () => proxy.close() };
}
