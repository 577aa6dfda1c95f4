import { createServer } from 'node:http';
import { ConfigError, createLogger, createMetrics, createRedis, Database, Lifecycle, listen } from '@foodflow/platform';
import { createApp } from './app.js';
import { loadUserConfig, type UserConfig } from './config.js';
import { PasswordHasher } from './security/password-hasher.js';

let config: UserConfig;
try {
  config = loadUserConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}

const logger = createLogger({ service: config.service, level: config.logLevel });
const metrics = createMetrics(config.service);
const lifecycle = new Lifecycle(logger);
lifecycle.handleSignals(config.shutdownTimeoutMs);

// Closed in reverse order: the server drains first, then the work it relied on stops.
const db = new Database({
  url: config.database.url,
  readUrl: config.database.readUrl,
  max: config.database.poolMax,
  logger,
  metrics,
  applicationName: config.service,
});
lifecycle.onShutdown('PostgreSQL pool', () => db.close());
const redis = createRedis(config.redisUrl, logger, config.service);
lifecycle.onShutdown('Redis', () => redis.quit());
const hasher = new PasswordHasher(config.extra.passwords);
lifecycle.onShutdown('password hashing pool', () => hasher.destroy());

try {
  const service = createApp({ config, logger, metrics, db, redis, hasher });
  service.start();
  lifecycle.onShutdown('periodic jobs', service.stop);
  const server = await listen(createServer(service.app), config.http.port, config.http.host);
  // Half the shutdown budget drains requests; the rest is for closing the pools beneath them.
  lifecycle.onShutdown('HTTP server', () => server.close(config.shutdownTimeoutMs / 2));
  logger.info(`User service listening on ${config.http.host}:${server.port}`);
} catch (err) {
  logger.error('User service failed to start', { err });
  await lifecycle.shutdown();
  process.exit(1);
}
