import { ServiceRuntime } from '@foodflow/platform';
import { createApp } from './app.js';
import { BatchingTokenVerifier } from './auth/batching-token-verifier.js';
import { loadDeliveryConfig } from './config.js';

const runtime = ServiceRuntime.boot(() => loadDeliveryConfig());
const { config, logger, metrics, lifecycle } = runtime;

// Closed in reverse order: the server drains first, then the work it relied on stops.
await runtime.run(async () => {
  const db = runtime.database();
  const redis = runtime.redis();
  const socketRedis = runtime.redis(`${config.service}-socket.io`);
  const broker = runtime.broker();
  const verifier = new BatchingTokenVerifier({ ...config.auth, redis });
  const service = createApp({ config, logger, metrics, db, redis, socketRedis, broker, verifier });
  await service.start();
  lifecycle.onShutdown('consumers, outbox relay, periodic jobs and Socket.IO', service.stop);
  // This instance's sockets are let go first, so the server can close; clients reconnect to another
  // instance and recover their rooms there.
  await runtime.serve(service.server, service.disconnectSockets);
});
