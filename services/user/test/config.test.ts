import { availableParallelism } from 'node:os';
import { ConfigError } from '@foodflow/platform';
import { generateTestKeys } from '@foodflow/platform/testing';
import { describe, expect, it } from 'vitest';
import { loadSecretsConfig, loadUserConfig } from '../src/config.js';
import { dataKeyLine } from './support.js';

const keys = generateTestKeys();
const valid = {
  JWT_PRIVATE_KEY: keys.privateKey,
  JWT_PUBLIC_KEY: keys.publicKey,
  DATA_ENCRYPTION_KEYS: dataKeyLine('k1'),
};

const problemsOf = (load: () => unknown): string[] => {
  try {
    load();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('the configuration loaded');
};

describe('user service configuration', () => {
  it('when it runs in production without AMQP_URL, then it starts: the user service uses no broker', () => {
    const config = loadUserConfig({
      ...valid,
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://users_service:secret@db.internal:5432/foodflow',
      REDIS_URL: 'redis://cache.internal:6379/0',
      INTERNAL_API_SECRET: 'a-production-secret-of-at-least-32-characters',
    });
    expect(config.nodeEnv).toBe('production');
    expect(config).not.toHaveProperty('amqpUrl');
  });

  it('when PASSWORD_HASH_THREADS is not set, then hashing has a thread per core', () => {
    expect(loadUserConfig(valid).extra.passwords.threads).toBe(availableParallelism());
  });

  it('when variables and key files are all wrong, then every problem is listed together', () => {
    const problems = problemsOf(() =>
      loadUserConfig({
        PORT: 'eighty',
        BCRYPT_COST: '4',
        JWT_PUBLIC_KEY_FILE: '/nonexistent/public.pem',
        JWT_PRIVATE_KEY_FILE: '/nonexistent/private.pem',
        DATA_ENCRYPTION_KEYS_FILE: '/nonexistent/data-keys',
      }),
    );
    for (const name of [
      'PORT',
      'BCRYPT_COST',
      'JWT_PUBLIC_KEY_FILE',
      'JWT_PRIVATE_KEY_FILE',
      'DATA_ENCRYPTION_KEYS_FILE',
    ]) {
      expect(
        problems.some((p) => p.includes(name)),
        name,
      ).toBe(true);
    }
  });

  it('when the operator tools read a bad cost and an unreadable key file, then both are listed', () => {
    const problems = problemsOf(() =>
      loadSecretsConfig({ BCRYPT_COST: 'high', DATA_ENCRYPTION_KEYS_FILE: '/nonexistent/data-keys' }),
    );
    expect(problems).toEqual([
      expect.stringContaining('BCRYPT_COST'),
      expect.stringContaining('DATA_ENCRYPTION_KEYS_FILE'),
    ]);
  });

  it('when token lifetimes are not configured, then access tokens live 15 minutes and refresh tokens 7 days', () => {
    expect(loadUserConfig(valid).extra.tokens).toMatchObject({ accessTtlS: 900, refreshTtlS: 7 * 86_400 });
  });
});
