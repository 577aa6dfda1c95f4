import { checkEnv, collectProblems, ConfigError, type Env, envSchemas, readKeyMaterial } from '@foodflow/platform';
import Joi from 'joi';
import { KONG_FILE, type KongDeclaration, readKongDeclaration } from './kong/declaration.js';

export const SERVICE_NAME = 'gateway';

export interface GatewayConfig {
  service: string;
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  shutdownTimeoutMs: number;
  http: { port: number; host: string };
  redisUrl: string;
  auth: { publicKey: string; issuer: string; audience: string };
  /** Which addresses may tell us the client address through `X-Forwarded-For` (Express `trust proxy` syntax). */
  trustProxy: string;
  /** The Kong declaration this gateway enforces. */
  kong: KongDeclaration;
  /** Where each Kong service is reached from here, by service name. */
  serviceUrls: Record<string, string>;
  /** Benchmarks raise the limits; unset means the values in the Kong declaration. */
  rateLimit: { perMinute: number | undefined; perHour: number | undefined };
  /** Replaces the cors plugin's origins when set. */
  corsOrigins: string[] | undefined;
}

/** `user-service` is reached through `USER_SERVICE_URL`, as every process of the stack names it. */
export const serviceUrlVariable = (service: string): string => `${service.toUpperCase().replace(/-/g, '_')}_URL`;

/**
 * Kong reaches `http://user-service:3001` on the Compose network; locally the same service listens on
 * loopback at the same port (behind an upstream, at its first target's port).
 */
function localDefault(kong: KongDeclaration, serviceUrl: string): string {
  const url = new URL(serviceUrl);
  const upstream = kong.upstreams?.find((u) => u.name === url.hostname);
  const port = upstream?.targets?.[0]?.target.split(':')[1] ?? url.port;
  return `http://127.0.0.1:${port}`;
}

function serviceUrls(kong: KongDeclaration, env: Env, production: boolean): Record<string, string> {
  const problems: string[] = [];
  const urls = Object.fromEntries(
    kong.services.map((service) => {
      const variable = serviceUrlVariable(service.name);
      const given = env[variable];
      if (!given && production) problems.push(`"${variable}" is required`);
      const url = given || localDefault(kong, service.url);
      if (!URL.canParse(url)) problems.push(`"${variable}" must be a valid URL`);
      return [service.name, url];
    }),
  );
  if (problems.length > 0) throw new ConfigError(problems);
  return urls;
}

const keys = {
  ...envSchemas.runtime,
  ...envSchemas.http(8000),
  ...envSchemas.redis,
  ...envSchemas.auth,
  KONG_CONFIG_FILE: Joi.string().empty(''),
  TRUST_PROXY: Joi.string().default('loopback, uniquelocal'),
  RATE_LIMIT_PER_MINUTE: Joi.number().integer().min(1).empty(''),
  RATE_LIMIT_PER_HOUR: Joi.number().integer().min(1).empty(''),
  CORS_ORIGINS: Joi.string().empty(''),
};

/**
 * The gateway's whole configuration, validated at boot; every problem is reported at once. It has no
 * database or broker of its own, so it reads only the runtime, HTTP, Redis and token parts of the
 * shared environment, plus the Kong declaration and where each of its services is reached.
 */
export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const checked = checkEnv(keys, env);
  // Files are read even when variables are wrong, so one run lists every problem.
  const { attempt, problems } = collectProblems(checked.problems);
  // Joi has validated and converted every value; this is only the typed view of them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const v = checked.values as Record<string, any>;
  const kong = attempt(() => readKongDeclaration(v['KONG_CONFIG_FILE'] ?? KONG_FILE));
  const publicKey = attempt(() => readKeyMaterial(checked.values, 'JWT_PUBLIC_KEY'));
  const urls = kong && attempt(() => serviceUrls(kong, env, env['NODE_ENV'] === 'production'));
  if (problems.length > 0 || !kong || !publicKey || !urls) throw new ConfigError(problems);
  const corsOrigins = v['CORS_ORIGINS'] as string | undefined;
  return {
    service: SERVICE_NAME,
    nodeEnv: v['NODE_ENV'],
    logLevel: v['LOG_LEVEL'],
    shutdownTimeoutMs: v['SHUTDOWN_TIMEOUT_MS'],
    http: { port: v['PORT'], host: v['HOST'] },
    redisUrl: v['REDIS_URL'],
    auth: { publicKey, issuer: v['JWT_ISSUER'], audience: v['JWT_AUDIENCE'] },
    trustProxy: v['TRUST_PROXY'],
    kong,
    serviceUrls: urls,
    rateLimit: { perMinute: v['RATE_LIMIT_PER_MINUTE'], perHour: v['RATE_LIMIT_PER_HOUR'] },
    corsOrigins: corsOrigins?.split(',').map((o) => o.trim()),
  };
}
