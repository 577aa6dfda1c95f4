import type { Server } from 'node:http';
import type { Redis } from 'ioredis';
import { createRedis } from '../cache/redis.js';
import { type BaseConfig, type BrokerConfig, ConfigError } from '../config/config.js';
import { Database } from '../db/database.js';
import type { HealthCheck } from '../http/health.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { Broker } from '../messaging/broker.js';
import { createMetrics, type Metrics } from '../metrics/metrics.js';
import { shutdownTracing } from '../tracing/tracing-shutdown.js';
import { Lifecycle, listen } from './lifecycle.js';

/** What the runtime itself needs of a configuration; a service's full one is a `BaseConfig`. */
export type RuntimeConfig = Pick<BaseConfig, 'service' | 'logLevel' | 'shutdownTimeoutMs' | 'http'>;

/**
 * What every service's `main.ts` does the same way: load the configuration (or stop with the list of
 * what is wrong), set up logging, metrics and signal handling, open connections that close themselves
 * on shutdown in reverse order, and serve HTTP until told to stop.
 */
export class ServiceRuntime<C extends RuntimeConfig> {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly lifecycle: Lifecycle;

  private constructor(readonly config: C) {
    this.logger = createLogger({ service: config.service, level: config.logLevel });
    this.metrics = createMetrics(config.service);
    this.lifecycle = new Lifecycle(this.logger);
    // Registered first, so closed last: the spans of everything else's shutdown are exported too.
    this.lifecycle.onShutdown('tracing', shutdownTracing);
    this.lifecycle.handleSignals(config.shutdownTimeoutMs);
  }

  /** Loads the configuration; a bad environment ends the process with every problem listed. */
  static boot<C extends RuntimeConfig>(loadConfig: () => C): ServiceRuntime<C> {
    try {
      return new ServiceRuntime(loadConfig());
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
  }

  database(this: ServiceRuntime<BaseConfig>): Database {
    const { config, logger, metrics } = this;
    const db = new Database({
      url: config.database.url,
      readUrl: config.database.readUrl,
      max: config.database.poolMax,
      logger,
      metrics,
      applicationName: config.service,
    });
    this.lifecycle.onShutdown('PostgreSQL pool', () => db.close());
    return db;
  }

  redis(this: ServiceRuntime<RuntimeConfig & Pick<BaseConfig, 'redisUrl'>>, name = this.config.service): Redis {
    const redis = createRedis(this.config.redisUrl, this.logger, name);
    this.lifecycle.onShutdown(`Redis (${name})`, () => redis.quit());
    return redis;
  }

  broker(this: ServiceRuntime<BaseConfig & BrokerConfig>): Broker {
    const broker = new Broker({ url: this.config.amqpUrl, logger: this.logger, name: this.config.service });
    this.lifecycle.onShutdown('RabbitMQ', () => broker.close());
    return broker;
  }

  /**
   * Runs the service's start-up; if it fails, what was opened is closed and the process exits non-zero,
   * so an orchestrator sees the failure and restarts it.
   */
  async run(start: () => Promise<void>): Promise<void> {
    try {
      await start();
    } catch (err) {
      this.logger.error(`${this.config.service} failed to start`, { err });
      await this.lifecycle.shutdown();
      process.exit(1);
    }
  }

  /**
   * Listens on the configured port. On shutdown the server is closed first (registered last): it stops
   * accepting and drains in-flight requests within half the shutdown budget, leaving the other half for
   * the connections beneath it.
   */
  async serve(server: Server, beforeClose?: () => void): Promise<number> {
    const { config } = this;
    const { port, close } = await listen(server, config.http.port, config.http.host);
    this.lifecycle.onShutdown('HTTP server', () => {
      beforeClose?.();
      return close(config.shutdownTimeoutMs / 2);
    });
    this.logger.info(`${config.service} listening on ${config.http.host}:${port}`);
    return port;
  }
}

/** The readiness checks of the infrastructure a service uses. */
export function infrastructureChecks({
  db,
  redis,
  broker,
}: {
  db?: Database;
  redis?: Redis;
  broker?: Broker;
}): HealthCheck[] {
  const checks: HealthCheck[] = [];
  if (db) checks.push({ name: 'postgres', check: () => db.check() });
  if (redis) checks.push({ name: 'redis', check: () => redis.ping() });
  if (broker) {
    checks.push({
      name: 'rabbitmq',
      check: async () => {
        if (!broker.isConnected()) throw new Error('not connected');
      },
    });
  }
  return checks;
}
