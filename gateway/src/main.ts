import { createServer } from 'node:http';
import { ServiceRuntime, TokenVerifier } from '@foodflow/platform';
import { createApp } from './app.js';
import { loadGatewayConfig } from './config.js';

const runtime = ServiceRuntime.boot(() => loadGatewayConfig());
const { config, logger, metrics, lifecycle } = runtime;

await runtime.run(async () => {
  const redis = runtime.redis(`${config.service}-ratelimit`);
  // Limits are shared through Redis from the first request on when it is there; if it is not, the
  // gateway starts anyway and counts in memory until it is.
  await redis.ping().catch((err: unknown) => logger.warn('Redis is unavailable; counting limits in memory', { err }));
  // Signature, algorithm, issuer, audience, expiry and type are checked here; revocation is checked by
  // the services, which read the denylist anyway.
  const verifier = new TokenVerifier(config.auth);
  const gateway = createApp({ config, logger, metrics, redis, verifier });
  lifecycle.onShutdown('proxy', () => gateway.stop());

  const server = createServer(gateway.handle);
  server.on('upgrade', gateway.upgrade);
  server.on('clientError', gateway.clientError);
  await runtime.serve(server);
  logger.info(`Enforcing ${config.kong.routes.length} routes of the Kong declaration`);
});
