import { randomBytes, randomUUID } from 'node:crypto';
import { createLogger, createMetrics, createRedis, Database, type Metrics, type Redis } from '@foodflow/platform';
import { generateTestKeys, http, type RunningApp, startHttp } from '@foodflow/platform/testing';
import { testEnv } from '../../../tests/setup/test-env.js';
import { createApp, type UserServiceApp } from '../src/app.js';
import { loadUserConfig, type UserConfig } from '../src/config.js';
import { PasswordHasher } from '../src/security/password-hasher.js';

/** A fresh AES-256 key line, `id:base64`. */
export const dataKeyLine = (id: string): string => `${id}:${randomBytes(32).toString('base64')}`;

export interface TestUserService {
  baseUrl: string;
  config: UserConfig;
  keys: { privateKey: string; publicKey: string };
  db: Database;
  redis: Redis;
  metrics: Metrics;
  hasher: PasswordHasher;
  close: () => Promise<void>;
}

/**
 * The real user service on a free port, against the test PostgreSQL and Redis. Failed-login limits per
 * address are high by default because every test request comes from 127.0.0.1; tests of that limit
 * lower it and send their own X-Forwarded-For.
 */
export async function startUserService(
  env: Record<string, string> = {},
  keys = generateTestKeys(),
): Promise<TestUserService> {
  const config = loadUserConfig(
    testEnv('users_service', {
      JWT_PRIVATE_KEY: keys.privateKey,
      JWT_PUBLIC_KEY: keys.publicKey,
      DATA_ENCRYPTION_KEYS: dataKeyLine('k1'),
      LOGIN_MAX_FAILURES_PER_IP: '1000000',
      PASSWORD_HASH_THREADS: '2',
      ...env,
    }),
  );
  const logger = createLogger({ service: config.service, level: config.logLevel, silent: true });
  const metrics = createMetrics(config.service);
  const db = new Database({ url: config.database.url, logger, metrics, applicationName: 'user-service-test' });
  const redis = createRedis(config.redisUrl, logger, 'user-service-test');
  const hasher = new PasswordHasher(config.extra.passwords);
  let service: UserServiceApp | undefined;
  let running: RunningApp;
  try {
    service = createApp({ config, logger, metrics, db, redis, hasher });
    service.start();
    running = await startHttp(service.app);
  } catch (err) {
    await service?.stop();
    await Promise.all([hasher.destroy(), redis.quit(), db.close()]);
    throw err;
  }
  const started = service;
  return {
    baseUrl: running.baseUrl,
    config,
    keys,
    db,
    redis,
    metrics,
    hasher,
    close: async () => {
      await running.close();
      await started.stop();
      await hasher.destroy();
      // A client that never reached Redis (outage tests) cannot quit politely; dropping it is enough.
      await redis.quit().catch(() => redis.disconnect());
      await db.close();
    },
  };
}

export const uniqueEmail = (prefix = 'user'): string => `${prefix}-${randomUUID().slice(0, 12)}@example.com`;

export const PASSWORD = 'correct horse battery';

export interface Registered {
  user: { id: string; email: string; firstName: string; lastName: string; phone: string | null; role: string };
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

/** Registers a fresh account (201 expected) and returns the session. */
export async function register(baseUrl: string, overrides: Record<string, unknown> = {}): Promise<Registered> {
  const res = await http<Registered>('POST', `${baseUrl}/api/auth/register`, {
    body: { email: uniqueEmail(), password: PASSWORD, firstName: 'Test', lastName: 'User', ...overrides },
  });
  if (res.status !== 201) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export const sampleAddress = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  label: 'Home',
  street: '350 Fifth Avenue',
  city: 'New York',
  postalCode: '10118',
  location: { lat: 40.7484, lng: -73.9857 },
  ...overrides,
});
