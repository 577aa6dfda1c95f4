import Joi from 'joi';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadServiceConfig } from '@foodflow/platform';
import { generateTestKeys } from '@foodflow/platform/testing';

const keys = generateTestKeys();
const spec = {
  service: 'example',
  port: 3999,
  databaseRole: 'example_service',
  extra: {
    keys: { WIDGET_LIMIT: Joi.number().integer().min(1).default(5) },
    map: (env: Record<string, unknown>) => ({ widgetLimit: env['WIDGET_LIMIT'] as number }),
  },
};

describe('service configuration', () => {
  it('when nothing is set in development, then working local defaults are used', () => {
    const config = loadServiceConfig(spec, { JWT_PUBLIC_KEY: keys.publicKey });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      http: { port: 3999 },
      database: { url: 'postgres://example_service:example_service@127.0.0.1:5432/foodflow', poolMax: 10 },
      redisUrl: 'redis://127.0.0.1:6379/0',
      auth: { publicKey: keys.publicKey, issuer: 'foodflow-user-service', audience: 'foodflow' },
      extra: { widgetLimit: 5 },
    });
  });

  it('when tracing is configured wrongly, then each of its problems is reported with the rest', () => {
    const problems = (env: Record<string, string>): string[] => {
      try {
        loadServiceConfig(spec, { JWT_PUBLIC_KEY: keys.publicKey, ...env });
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', OTEL_SERVICE_NAME: 'example' })).toEqual([]);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toEqual([
      '"OTEL_SERVICE_NAME" is required',
    ]);
    expect(
      problems({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'jaeger',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '2',
      }),
    ).toEqual([
      expect.stringContaining('"OTEL_EXPORTER_OTLP_ENDPOINT" must be a valid uri'),
      '"OTEL_SERVICE_NAME" is required',
      expect.stringContaining('"OTEL_TRACES_SAMPLER" must be one of'),
      '"OTEL_TRACES_SAMPLER_ARG" must be less than or equal to 1',
    ]);
  });

  it('when values are given as strings, then they are converted to their types', () => {
    const config = loadServiceConfig(spec, { JWT_PUBLIC_KEY: keys.publicKey, PORT: '4100', WIDGET_LIMIT: '9' });
    expect(config.http.port).toBe(4100);
    expect(config.extra.widgetLimit).toBe(9);
  });

  it('when several variables are wrong, then every problem is reported at once', () => {
    let error: unknown;
    try {
      loadServiceConfig(spec, {
        JWT_PUBLIC_KEY: keys.publicKey,
        PORT: 'eighty',
        REDIS_URL: 'http://not-redis',
        WIDGET_LIMIT: '0',
        LOG_LEVEL: 'chatty',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'REDIS_URL', 'WIDGET_LIMIT', 'LOG_LEVEL']) expect(problems).toContain(name);
  });

  it('when running in production, then secrets and addresses have no development defaults', () => {
    expect(() =>
      loadServiceConfig({ ...spec, broker: true }, { NODE_ENV: 'production', JWT_PUBLIC_KEY: keys.publicKey }),
    ).toThrow(/DATABASE_URL[\s\S]*REDIS_URL[\s\S]*AMQP_URL[\s\S]*INTERNAL_API_SECRET/);
  });

  it('when a service uses no broker, then it neither needs nor gets the broker address, even in production', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_PUBLIC_KEY: keys.publicKey,
      DATABASE_URL: 'postgres://example_service:secret@db.internal:5432/foodflow',
      REDIS_URL: 'redis://cache.internal:6379/0',
      INTERNAL_API_SECRET: 'a-production-secret-of-at-least-32-characters',
    };
    const config = loadServiceConfig(spec, production);
    expect(config).not.toHaveProperty('amqpUrl');
    expect(() => loadServiceConfig({ ...spec, broker: true }, production)).toThrow(/AMQP_URL/);
    const withBroker = loadServiceConfig({ ...spec, broker: true }, { ...production, AMQP_URL: 'amqp://mq.internal' });
    expect(withBroker.amqpUrl).toBe('amqp://mq.internal');
  });

  it('when the public key file cannot be read, then the error says how to get one', () => {
    expect(() => loadServiceConfig(spec, { JWT_PUBLIC_KEY_FILE: '/nonexistent/key.pem' })).toThrow(/npm start/);
  });

  it('when variables are wrong and a key file cannot be read, then both are reported together', () => {
    let error: unknown;
    try {
      loadServiceConfig(spec, { PORT: 'eighty', WIDGET_LIMIT: '0', JWT_PUBLIC_KEY_FILE: '/nonexistent/key.pem' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toEqual([
      expect.stringContaining('PORT'),
      expect.stringContaining('WIDGET_LIMIT'),
      expect.stringContaining('JWT_PUBLIC_KEY_FILE" points to /nonexistent/key.pem'),
    ]);
  });

  it('when DATABASE_READ_URL is set, then the config carries it beside the primary', () => {
    const config = loadServiceConfig(spec, {
      JWT_PUBLIC_KEY: keys.publicKey,
      DATABASE_READ_URL: 'postgres://example_service:example_service@replica.internal:5432/foodflow',
    });
    expect(config.database).toMatchObject({
      url: 'postgres://example_service:example_service@127.0.0.1:5432/foodflow',
      readUrl: 'postgres://example_service:example_service@replica.internal:5432/foodflow',
    });
    expect(loadServiceConfig(spec, { JWT_PUBLIC_KEY: keys.publicKey }).database.readUrl).toBeUndefined();
  });

  it('when a key is passed inline with escaped newlines, then it is restored', () => {
    const config = loadServiceConfig(spec, { JWT_PUBLIC_KEY: keys.publicKey.replace(/\n/g, '\\n') });
    expect(config.auth.publicKey).toBe(keys.publicKey);
  });
});
