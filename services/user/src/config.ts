import { availableParallelism } from 'node:os';
import {
  checkEnv,
  collectProblems,
  ConfigError,
  type Env,
  loadServiceConfig,
  readKeyMaterial,
} from '@foodflow/platform';
import Joi from 'joi';
import { type DataKey, parseDataKeys } from './security/field-cipher.js';

export const SERVICE_NAME = 'user-service';

/** The secrets and password settings the operator tools (seed, admin command) share with the service. */
const secretKeys = {
  DATA_ENCRYPTION_KEYS: Joi.string().empty(''),
  DATA_ENCRYPTION_KEYS_FILE: Joi.string().empty('').default('.keys/data-encryption-keys'),
  BCRYPT_COST: Joi.number().integer().min(10).max(15).default(10),
  // One bcrypt thread per core. The event loop needs a fraction of a core beside them (every other
  // request, and a login's own token and database work), and the scheduler gives it that share, so other
  // requests are still answered while every hashing thread is busy; a core kept for it instead would sit
  // mostly idle, which on two cores halves the logins (services/user/README.md).
  PASSWORD_HASH_THREADS: Joi.number().integer().min(1).max(64).default(availableParallelism()),
  // About two seconds of bcrypt work per thread at the default cost; more waiting only delays the 503.
  PASSWORD_HASH_MAX_QUEUE: Joi.number().integer().min(1).default(200),
};

const serviceKeys = {
  ...secretKeys,
  JWT_PRIVATE_KEY: Joi.string().empty(''),
  JWT_PRIVATE_KEY_FILE: Joi.string().empty('').default('.keys/jwt-private.pem'),
  ACCESS_TOKEN_TTL_S: Joi.number().integer().min(60).max(86_400).default(900),
  REFRESH_TOKEN_TTL_S: Joi.number()
    .integer()
    .min(3600)
    .default(7 * 86_400),
  REFRESH_TOKEN_PURGE_INTERVAL_MS: Joi.number().integer().min(1000).default(3_600_000),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: Joi.number().integer().min(1).default(10),
  LOGIN_MAX_FAILURES_PER_IP: Joi.number().integer().min(1).default(100),
  LOGIN_FAILURE_WINDOW_S: Joi.number().integer().min(1).default(900),
  PROFILE_CACHE_TTL_S: Joi.number().integer().min(1).default(300),
};

export interface SecretsConfig {
  dataKeys: DataKey[];
  passwords: { cost: number; threads: number; maxQueue: number };
}

export interface UserServiceExtra extends SecretsConfig {
  tokens: {
    privateKey: string;
    accessTtlS: number;
    refreshTtlS: number;
    purgeIntervalMs: number;
  };
  loginLimits: { perAccount: number; perIp: number; windowS: number };
  profileCacheTtlS: number;
}

function mapSecrets(values: Record<string, unknown>): SecretsConfig {
  const raw = readKeyMaterial(values, 'DATA_ENCRYPTION_KEYS');
  const { keys, problems } = parseDataKeys(raw);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `DATA_ENCRYPTION_KEYS: ${p}`));
  return {
    dataKeys: keys,
    passwords: {
      cost: values['BCRYPT_COST'] as number,
      threads: values['PASSWORD_HASH_THREADS'] as number,
      maxQueue: values['PASSWORD_HASH_MAX_QUEUE'] as number,
    },
  };
}

function mapExtra(values: Record<string, unknown>): UserServiceExtra {
  const { attempt, problems } = collectProblems();
  const secrets = attempt(() => mapSecrets(values));
  const privateKey = attempt(() => readKeyMaterial(values, 'JWT_PRIVATE_KEY'));
  if (!secrets || !privateKey) throw new ConfigError(problems);
  const n = (name: string): number => values[name] as number;
  return {
    ...secrets,
    tokens: {
      privateKey,
      accessTtlS: n('ACCESS_TOKEN_TTL_S'),
      refreshTtlS: n('REFRESH_TOKEN_TTL_S'),
      purgeIntervalMs: n('REFRESH_TOKEN_PURGE_INTERVAL_MS'),
    },
    loginLimits: {
      perAccount: n('LOGIN_MAX_FAILURES_PER_ACCOUNT'),
      perIp: n('LOGIN_MAX_FAILURES_PER_IP'),
      windowS: n('LOGIN_FAILURE_WINDOW_S'),
    },
    profileCacheTtlS: n('PROFILE_CACHE_TTL_S'),
  };
}

/** The user service's whole configuration, validated at boot. */
export function loadUserConfig(env: Env = process.env) {
  return loadServiceConfig<UserServiceExtra>(
    { service: SERVICE_NAME, port: 3001, databaseRole: 'users_service', extra: { keys: serviceKeys, map: mapExtra } },
    env,
  );
}

export type UserConfig = ReturnType<typeof loadUserConfig>;

/** Only the encryption keys and password settings, read exactly as the service reads them. */
export function loadSecretsConfig(env: Env = process.env): SecretsConfig {
  const checked = checkEnv(secretKeys, env);
  const { attempt, problems } = collectProblems(checked.problems);
  const secrets = attempt(() => mapSecrets(checked.values));
  if (!secrets || problems.length > 0) throw new ConfigError(problems);
  return secrets;
}
