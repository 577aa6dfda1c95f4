import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../errors/app-error.js';
import type { Logger } from '../logging/logger.js';
import { runWithContext } from '../logging/request-context.js';
import type { Metrics } from '../metrics/metrics.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { type HealthCheck, healthRoutes } from './health.js';
import { openApiDocument } from './openapi.js';
import { assignRequestId } from './request-id.js';
import { securityHeaders } from './security-headers.js';

export const BODY_LIMIT = '1mb';

const notJson = (): AppError =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', 'The request body must be JSON (Content-Type: application/json)');

export interface HttpAppOptions {
  logger: Logger;
  metrics: Metrics;
  health: HealthCheck[];
  /** Mounts the service's own routes; runs after the common middleware and before the 404 and error handlers. */
  routes: (app: Express) => void;
  /** Title of the service's OpenAPI document, served at `/openapi.json`. */
  title?: string;
}

/**
 * The Express app every service shares: request ids, security headers, a 1 MiB JSON body limit,
 * request metrics, health and metrics endpoints, then the service's routes, then one 404 and one
 * error handler producing the contract's error shape.
 */
export function createHttpApp({ logger, metrics, health, routes, title }: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // The gateway (and Nginx before it) sit in front of every service; trust one hop for the client address.
  app.set('trust proxy', 'loopback, uniquelocal');
  const security = securityHeaders();
  const json = express.json({ limit: BODY_LIMIT });
  // A request with neither header has no body to parse (what body-parser itself checks first). A body of
  // another type would pass the JSON parser untouched and reach validation as no body at all (an update
  // would answer 200 having changed nothing), so it is refused; an empty one has no type to check.
  const parseBody = (req: Request, res: Response, next: NextFunction): void => {
    const length = req.headers['content-length'];
    if (length === undefined && req.headers['transfer-encoding'] === undefined) next();
    else if (length !== '0' && !req.is('application/json')) next(notJson());
    else json(req, res, next);
  };
  // What every request goes through, as one layer (each layer costs the router a walk step): its id, the
  // security headers, timing, then the rest of the request inside its context (its id for logs, events and
  // calls to other services), starting with the JSON body.
  app.use((req, res, next) => {
    const requestId = assignRequestId(req, res);
    security(res);
    metrics.timeRequest(req, res);
    runWithContext({ requestId }, parseBody, req, res, next);
  });
  app.get('/metrics', metrics.handler);
  healthRoutes(app, health);
  let document: Record<string, unknown> | undefined;
  app.get('/openapi.json', (_req, res) => {
    document ??= openApiDocument(app, { title: title ?? 'Food Flow API', version: '1.0.0' });
    res.json(document);
  });
  routes(app);
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
