import { createServer } from 'node:http';
import {
  ConfigError,
  createLogger,
  createMetrics,
  createRedis,
  Lifecycle,
  listen,
  TokenVerifier,
} from '@foodflow/platform';
import { createApp } from './app.js';
import { type GatewayConfig, loadGatewayConfig, SERVICE_NAME } from './config.js';

function loadConfig(): GatewayConfig {
  try {
    return loadGatewayConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${SERVICE_NAME}: ${err.message}\n`);
    process.exit(1);
  }
}

const config = loadConfig();

const logger = createLogger({ service: config.service, level: config.logLevel });
const metrics = createMetrics(config.service);
const lifecycle = new Lifecycle(logger);

const redis = createRedis(config.redisUrl, logger, `${config.service}-ratelimit`);
lifecycle.onShutdown('redis', () => redis.quit());

// Signature, algorithm, issuer, audience, expiry and type are checked here; revocation is checked by
// the services, which read the denylist anyway.
const verifier = new TokenVerifier(config.auth);
const gateway = createApp({ config, logger, metrics, redis, verifier });
lifecycle.onShutdown('proxy', () => gateway.stop());

const server = createServer(gateway.app);
server.on('upgrade', gateway.upgrade);
const { port, close } = await listen(server, config.http.port, config.http.host);
lifecycle.onShutdown('http server', () => close(config.shutdownTimeoutMs));
lifecycle.handleSignals(config.shutdownTimeoutMs + 2000);
logger.info(`Gateway listening on port ${port}, enforcing ${config.kong.routes.length} routes of the Kong declaration`);
