import { createServer } from 'node:http';
import {
  Broker,
  createLogger,
  createMetrics,
  createRedis,
  Database,
  every,
  Lifecycle,
  listen,
  purgeInbox,
} from '@foodflow/platform';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

const config = loadConfig();
const logger = createLogger({ service: config.service, level: config.logLevel });
const metrics = createMetrics(config.service);
const lifecycle = new Lifecycle(logger);
lifecycle.handleSignals(config.shutdownTimeoutMs);

const db = new Database({
  url: config.database.url,
  readUrl: config.database.readUrl,
  max: config.database.poolMax,
  logger,
  metrics,
  applicationName: config.service,
});
lifecycle.onShutdown('database', () => db.close());
const redis = createRedis(config.redisUrl, logger, config.service);
lifecycle.onShutdown('redis', () => redis.quit());
const broker = new Broker({ url: config.amqpUrl, logger, name: config.service });
lifecycle.onShutdown('rabbitmq', () => broker.close());

const { app, start, stop } = createApp({ config, logger, metrics, db, redis, broker });
await start();
lifecycle.onShutdown('order.created consumer', stop);
// Inbox marks only need to outlive any redelivery of their event; a week is far beyond that.
const inboxPurge = every('inbox purge', 60 * 60 * 1000, () => purgeInbox(db, 7 * 24), logger);
lifecycle.onShutdown('inbox purge', () => inboxPurge.stop());

const server = createServer(app);
const { port, close } = await listen(server, config.http.port, config.http.host);
lifecycle.onShutdown('http server', () => close(config.shutdownTimeoutMs));
logger.info(`Restaurant service listening on port ${port}`);
