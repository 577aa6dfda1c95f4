import {
  Broker,
  createLogger,
  createMetrics,
  createRedis,
  Database,
  Lifecycle,
  listen,
  TokenVerifier,
} from '@foodflow/platform';
import { createApp } from './app.js';
import { loadDeliveryConfig, SERVICE_NAME } from './config.js';

const config = loadDeliveryConfig();
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
  const socketRedis = createRedis(config.redisUrl, logger, `${SERVICE_NAME}-socket.io`);
  lifecycle.onShutdown('socket.io redis', () => socketRedis.quit());
  const broker = new Broker({ url: config.amqpUrl, logger, name: SERVICE_NAME });
  lifecycle.onShutdown('rabbitmq', () => broker.close());
  const verifier = new TokenVerifier({ ...config.auth, redis });

  const service = createApp({ config, logger, metrics, db, redis, socketRedis, broker, verifier });
  await service.start();
  lifecycle.onShutdown('consumers, relay and sockets', () => service.stop());
  const http = await listen(service.server, config.http.port, config.http.host);
  // Closed first: sockets are sent to other instances, new requests refused, in-flight ones finished.
  lifecycle.onShutdown('http server', async () => {
    service.disconnectSockets();
    await http.close(config.shutdownTimeoutMs / 2);
  });
  logger.info(`Delivery service listening on ${config.http.host}:${http.port}`);
} catch (err) {
  logger.error('Delivery service failed to start', { err });
  await lifecycle.shutdown();
  process.exit(1);
}
