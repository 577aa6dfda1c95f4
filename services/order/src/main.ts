import { createServer } from 'node:http';
import { Broker, createLogger, createMetrics, createRedis, Database, Lifecycle, listen } from '@foodflow/platform';
import { createApp } from './app.js';
import { loadConfig, SERVICE_NAME } from './config.js';

const config = loadConfig();
const logger = createLogger({ service: SERVICE_NAME, level: config.logLevel });
const metrics = createMetrics(SERVICE_NAME);
const lifecycle = new Lifecycle(logger);
lifecycle.handleSignals(config.shutdownTimeoutMs);

try {
  const db = new Database({
    url: config.database.url,
    readUrl: config.database.readUrl,
    max: config.database.poolMax,
    logger,
    metrics,
    applicationName: SERVICE_NAME,
  });
  lifecycle.onShutdown('database', () => db.close());
  const redis = createRedis(config.redisUrl, logger, SERVICE_NAME);
  lifecycle.onShutdown('redis', () => redis.quit());
  const broker = new Broker({ url: config.amqpUrl, logger, name: SERVICE_NAME });
  lifecycle.onShutdown('broker', () => broker.close());

  const service = createApp({ config, logger, metrics, db, redis, broker });
  await service.start();
  lifecycle.onShutdown('background work', () => service.stop());

  const server = await listen(createServer(service.app), config.http.port, config.http.host);
  lifecycle.onShutdown('http server', () => server.close(config.shutdownTimeoutMs));
  logger.info(`Order service listening on ${config.http.host}:${server.port}`);
} catch (err) {
  logger.error('Order service failed to start', { err });
  await lifecycle.shutdown();
  process.exit(1);
}
