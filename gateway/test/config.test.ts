import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@foodflow/platform';
import { generateTestKeys } from '@foodflow/platform/testing';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadGatewayConfig } from '../src/config.js';
import { readKongDeclaration } from '../src/kong/declaration.js';
import { gatewayPolicy } from '../src/kong/policy.js';

const { publicKey } = generateTestKeys();

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadGatewayConfig({ JWT_PUBLIC_KEY: publicKey, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('gateway configuration', () => {
  it('when no service URLs are given in development, then each Kong service is found on loopback at its Kong port', () => {
    const config = loadGatewayConfig({ JWT_PUBLIC_KEY: publicKey });

    expect(config.serviceUrls).toEqual({
      'user-service': 'http://127.0.0.1:3001',
      'restaurant-service': 'http://127.0.0.1:3002',
      'order-service': 'http://127.0.0.1:3003',
      'delivery-service': 'http://127.0.0.1:3004',
    });
  });

  it('when limits and origins are set in the environment, then they replace the declaration values', () => {
    const policy = gatewayPolicy(
      loadGatewayConfig({
        JWT_PUBLIC_KEY: publicKey,
        RATE_LIMIT_PER_MINUTE: '6000',
        RATE_LIMIT_PER_HOUR: '360000',
        CORS_ORIGINS: 'https://app.foodflow.example, https://admin.foodflow.example',
      }),
    );

    expect(policy.rateLimits).toEqual({ perMinute: 6000, perHour: 360000 });
    expect(policy.cors?.origin).toEqual(['https://app.foodflow.example', 'https://admin.foodflow.example']);
  });

  it('when nothing overrides them, then the limits are the declaration values', () => {
    expect(gatewayPolicy(loadGatewayConfig({ JWT_PUBLIC_KEY: publicKey })).rateLimits).toEqual({
      perMinute: 100,
      perHour: 1000,
    });
  });

  it('when the declaration has no rate-limiting plugin, then the environment does not add one', () => {
    const kong = readKongDeclaration();
    kong.plugins = kong.plugins?.filter((p) => p.name !== 'rate-limiting');
    const file = join(mkdtempSync(join(tmpdir(), 'foodflow-kong-')), 'kong.yml');
    writeFileSync(file, stringify(kong));

    const policy = gatewayPolicy(
      loadGatewayConfig({ JWT_PUBLIC_KEY: publicKey, KONG_CONFIG_FILE: file, RATE_LIMIT_PER_MINUTE: '10' }),
    );

    expect(policy.rateLimits).toBeUndefined();
  });

  it('when values are wrong, then every problem is listed at once', () => {
    const problems = problemsOf({ ORDER_SERVICE_URL: 'not a url', RATE_LIMIT_PER_MINUTE: '0' });

    expect(problems).toEqual([
      expect.stringContaining('RATE_LIMIT_PER_MINUTE'),
      '"ORDER_SERVICE_URL" must be a valid URL',
    ]);
  });

  it('when a variable is wrong and the key file unreadable, then both are listed together', () => {
    const problems = problemsOf({ JWT_PUBLIC_KEY: '', JWT_PUBLIC_KEY_FILE: '/nowhere/jwt-public.pem', PORT: 'eighty' });

    expect(problems).toEqual([
      expect.stringContaining('"PORT" must be a number'),
      expect.stringContaining('"JWT_PUBLIC_KEY_FILE" points to /nowhere/jwt-public.pem'),
    ]);
  });

  it('when running in production, then every service URL must be given', () => {
    const problems = problemsOf({ NODE_ENV: 'production', REDIS_URL: 'redis://redis:6379' });

    expect(problems).toEqual([
      '"USER_SERVICE_URL" is required',
      '"RESTAURANT_SERVICE_URL" is required',
      '"ORDER_SERVICE_URL" is required',
      '"DELIVERY_SERVICE_URL" is required',
    ]);
  });
});
