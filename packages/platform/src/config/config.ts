import { readFileSync } from 'node:fs';
import Joi from 'joi';

/** Every problem found in the environment, so an operator can fix them all in one go. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/**
 * A value with a development default that must be given explicitly in production,
 * so a forgotten secret never silently ships with the development one.
 */
export const devDefault = <T extends Joi.Schema>(schema: T, value: string | number): T =>
  schema.when('NODE_ENV', {
    is: 'production',
    then: Joi.required(),
    otherwise: Joi.optional().default(value),
  }) as T;

/** The samplers OpenTelemetry's `OTEL_TRACES_SAMPLER` names. */
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/**
 * OpenTelemetry's own variables, read by the SDK that `--import @foodflow/platform/tracing` starts before
 * the process's modules. Checked here with the rest of the environment, so a wrong one stops the process
 * with every other problem instead of tracing nowhere. Tracing is on when an endpoint is given.
 */
const tracing = {
  OTEL_EXPORTER_OTLP_ENDPOINT: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .empty(''),
  OTEL_SERVICE_NAME: Joi.string()
    .empty('')
    .when('OTEL_EXPORTER_OTLP_ENDPOINT', { is: Joi.exist(), then: Joi.required() }),
  OTEL_TRACES_SAMPLER: Joi.string()
    .valid(...SAMPLERS)
    .empty(''),
  OTEL_TRACES_SAMPLER_ARG: Joi.number().min(0).max(1).empty(''),
};

/** Environment variables the services read, by concern; each service takes the concerns it has. */
export const envSchemas = {
  runtime: {
    NODE_ENV: Joi.string().valid('development', 'test', 'production').default('development'),
    LOG_LEVEL: Joi.string().valid('error', 'warn', 'info', 'http', 'debug').default('info'),
    SHUTDOWN_TIMEOUT_MS: Joi.number().integer().min(0).default(10_000),
    ...tracing,
  },
  tracing,
  http: (port: number) => ({
    PORT: Joi.number().port().default(port),
    HOST: Joi.string().default('0.0.0.0'),
  }),
  database: (role: string) => ({
    DATABASE_URL: devDefault(
      Joi.string().uri({ scheme: ['postgres', 'postgresql'] }),
      `postgres://${role}:${role}@127.0.0.1:5432/foodflow`,
    ),
    DATABASE_READ_URL: Joi.string()
      .uri({ scheme: ['postgres', 'postgresql'] })
      .empty(''),
    DATABASE_POOL_MAX: Joi.number().integer().min(1).max(200).default(10),
  }),
  redis: {
    REDIS_URL: devDefault(Joi.string().uri({ scheme: ['redis', 'rediss'] }), 'redis://127.0.0.1:6379/0'),
  },
  amqp: {
    AMQP_URL: devDefault(Joi.string().uri({ scheme: ['amqp', 'amqps'] }), 'amqp://guest:guest@127.0.0.1:5672'),
  },
  auth: {
    JWT_PUBLIC_KEY: Joi.string().empty(''),
    JWT_PUBLIC_KEY_FILE: Joi.string().empty('').default('.keys/jwt-public.pem'),
    JWT_ISSUER: Joi.string().default('foodflow-user-service'),
    JWT_AUDIENCE: Joi.string().default('foodflow'),
  },
  internal: {
    INTERNAL_API_SECRET: devDefault(Joi.string().min(32), 'development-internal-secret-change-me-0000'),
    INTERNAL_TIMEOUT_MS: Joi.number().integer().min(50).default(2000),
    PEER_BREAKER_RESET_MS: Joi.number().integer().min(100).default(10_000),
  },
};

/**
 * Validates the environment against `keys`: the converted values (defaults applied, so the parts that
 * are valid can still be used to look for further problems) and every problem found. Unknown variables
 * are ignored (the environment holds far more than ours).
 */
export function checkEnv(
  keys: Joi.PartialSchemaMap,
  env: Env = process.env,
): { values: Record<string, unknown>; problems: string[] } {
  const { value, error } = Joi.object(keys).validate(env, {
    abortEarly: false,
    allowUnknown: true,
    stripUnknown: true,
    convert: true,
  });
  return { values: value as Record<string, unknown>, problems: error?.details.map((d) => d.message) ?? [] };
}

/**
 * Reads key material given either inline (`NAME`) or as a file path (`NAME_FILE`). Inline PEM values
 * may carry literal `\n` sequences, as they do when passed through `.env` files.
 */
export function readKeyMaterial(env: Record<string, unknown>, name: string): string {
  const inline = env[name];
  if (typeof inline === 'string' && inline.length > 0) return inline.replace(/\\n/g, '\n');
  const file = env[`${name}_FILE`];
  if (typeof file !== 'string' || file.length === 0) {
    throw new ConfigError([`"${name}" or "${name}_FILE" is required`]);
  }
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError([
      `"${name}_FILE" points to ${file}, which cannot be read (run \`npm start\` once to generate development keys)`,
    ]);
  }
}

/**
 * Runs the parts of a configuration load, collecting every part's problems (after those already
 * `found`) instead of stopping at the first, so the operator sees the whole list at once.
 */
export function collectProblems(found: string[] = []): {
  attempt: <T>(load: () => T) => T | undefined;
  problems: string[];
} {
  const problems = [...found];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  return { attempt, problems };
}

export interface BaseConfig {
  service: string;
  nodeEnv: 'development' | 'test' | 'production';
  logLevel: string;
  shutdownTimeoutMs: number;
  http: { port: number; host: string };
  database: { url: string; readUrl: string | undefined; poolMax: number };
  redisUrl: string;
  auth: { publicKey: string; issuer: string; audience: string };
  /** Service-to-service calls: the token secret, each call's timeout, how long an open circuit rests. */
  internal: { secret: string; timeoutMs: number; breakerResetMs: number };
}

/** The part of a configuration only services that publish or consume events have. */
export interface BrokerConfig {
  amqpUrl: string;
}

export interface ServiceConfigSpec<Extra> {
  service: string;
  port: number;
  databaseRole: string;
  /**
   * Whether the service publishes or consumes events, and so needs the broker's address (`AMQP_URL`,
   * required in production). A service without it is never stopped by a missing broker setting.
   */
  broker?: boolean;
  /** Service-specific variables and how they map into the config's `extra` part. */
  extra?: { keys: Joi.PartialSchemaMap; map: (env: Record<string, unknown>) => Extra };
}

/** Loads and validates a service's whole configuration at boot; throws `ConfigError` listing all problems. */
export function loadServiceConfig<Extra = Record<string, never>>(
  spec: ServiceConfigSpec<Extra> & { broker: true },
  env?: Env,
): BaseConfig & BrokerConfig & { extra: Extra };
export function loadServiceConfig<Extra = Record<string, never>>(
  spec: ServiceConfigSpec<Extra>,
  env?: Env,
): BaseConfig & { extra: Extra };
export function loadServiceConfig<Extra>(
  spec: ServiceConfigSpec<Extra>,
  env: Env = process.env,
): BaseConfig & Partial<BrokerConfig> & { extra: Extra } {
  const checked = checkEnv(
    {
      ...envSchemas.runtime,
      ...envSchemas.http(spec.port),
      ...envSchemas.database(spec.databaseRole),
      ...envSchemas.redis,
      ...(spec.broker ? envSchemas.amqp : {}),
      ...envSchemas.auth,
      ...envSchemas.internal,
      ...spec.extra?.keys,
    },
    env,
  );
  // Key files are read even when variables are wrong, so one run lists every problem.
  const { attempt, problems } = collectProblems(checked.problems);
  const publicKey = attempt(() => readKeyMaterial(checked.values, 'JWT_PUBLIC_KEY'));
  const extra = attempt(() => (spec.extra ? spec.extra.map(checked.values) : ({} as Extra)));
  if (problems.length > 0) throw new ConfigError(problems);

  // Joi has validated and converted every value above; this is only the typed view of them.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const v = checked.values as Record<string, any>;
  return {
    service: spec.service,
    nodeEnv: v['NODE_ENV'],
    logLevel: v['LOG_LEVEL'],
    shutdownTimeoutMs: v['SHUTDOWN_TIMEOUT_MS'],
    http: { port: v['PORT'], host: v['HOST'] },
    database: { url: v['DATABASE_URL'], readUrl: v['DATABASE_READ_URL'], poolMax: v['DATABASE_POOL_MAX'] },
    redisUrl: v['REDIS_URL'],
    ...(spec.broker ? { amqpUrl: v['AMQP_URL'] } : {}),
    auth: { publicKey: publicKey as string, issuer: v['JWT_ISSUER'], audience: v['JWT_AUDIENCE'] },
    internal: {
      secret: v['INTERNAL_API_SECRET'],
      timeoutMs: v['INTERNAL_TIMEOUT_MS'],
      breakerResetMs: v['PEER_BREAKER_RESET_MS'],
    },
    extra: extra as Extra,
  };
}
