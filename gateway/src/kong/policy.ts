import type { CorsOptions } from 'cors';
import type { GatewayConfig } from '../config.js';
import type { RateLimits } from '../edge/rate-limit.js';
import type { ProxyTarget } from '../edge/service-proxy.js';
import {
  type CorrelationIdConfig,
  type CorsConfig,
  type KongRoute,
  payloadLimitBytes,
  pluginConfig,
  type RateLimitingConfig,
  type RequestSizeLimitingConfig,
} from './declaration.js';
import { upstreamPathFor } from './request-transformer.js';
import { RouteTable } from './routes.js';

/** What the gateway enforces, read from the Kong declaration's global plugins (and the environment's overrides). */
export interface GatewayPolicy {
  routes: RouteTable;
  /** The header the correlation-id plugin reads and echoes. */
  requestIdHeader: string | undefined;
  cors: CorsOptions | undefined;
  bodyLimitBytes: number | undefined;
  rateLimits: RateLimits | undefined;
  /** Where a route's service is reached, and how long it may take to answer. */
  target: (route: KongRoute) => ProxyTarget;
  /** The path the service is asked for: the request's own, unless the route's request-transformer replaces it. */
  upstreamPath: (route: KongRoute, path: string) => string;
}

export function gatewayPolicy(config: GatewayConfig): GatewayPolicy {
  const { kong } = config;
  const size = pluginConfig<RequestSizeLimitingConfig>('request-size-limiting', kong.plugins);
  const limits = pluginConfig<RateLimitingConfig>('rate-limiting', kong.plugins);
  // The environment tunes the plugin's limits (benchmarks raise them); it never adds a plugin Kong lacks.
  const perMinute = limits && (config.rateLimit.perMinute ?? limits.minute);
  const perHour = limits && (config.rateLimit.perHour ?? limits.hour);
  const cors = pluginConfig<CorsConfig>('cors', kong.plugins);
  // Worked out once, URLs parsed: the gateway looks a route's service up on every request.
  const targets = new Map<string, ProxyTarget>(
    kong.services.flatMap((service) => {
      const url = config.serviceUrls[service.name];
      // Kong's default read_timeout is 60 s.
      return url ? [[service.name, { url: new URL(url), timeoutMs: service.read_timeout ?? 60_000 }] as const] : [];
    }),
  );

  const upstreamPaths = new Map(kong.routes.map((route) => [route, upstreamPathFor(route)]));

  return {
    routes: new RouteTable(kong.routes),
    requestIdHeader: pluginConfig<CorrelationIdConfig>('correlation-id', kong.plugins)?.header_name,
    cors: cors && {
      origin: config.corsOrigins ?? cors.origins ?? false,
      methods: cors.methods,
      allowedHeaders: cors.headers,
      exposedHeaders: cors.exposed_headers,
      credentials: cors.credentials ?? false,
      maxAge: cors.max_age,
    },
    bodyLimitBytes: size && payloadLimitBytes(size),
    rateLimits: perMinute !== undefined && perHour !== undefined ? { perMinute, perHour } : undefined,
    target: (route) => {
      const target = targets.get(route.service);
      if (!target) throw new Error(`Route ${route.name} names an unknown service ${route.service}`);
      return target;
    },
    upstreamPath: (route, path) => upstreamPaths.get(route)?.(path) ?? path,
  };
}
