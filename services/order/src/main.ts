import { createHttpServer, ServiceRuntime } from '@foodflow/platform';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

const runtime = ServiceRuntime.boot(() => loadConfig());
const { config, logger, metrics, lifecycle } = runtime;

// Closed in reverse order: the server drains first, then the relay and consumer stop, then the connections.
await runtime.run(async () => {
  const db = runtime.database();
  const redis = runtime.redis();
  const broker = runtime.broker();
  const service = createApp({ config, logger, metrics, db, redis, broker });
  await service.start();
  lifecycle.onShutdown('outbox relay, delivery-events consumer and cleanup', () => service.stop());
  await runtime.serve(createHttpServer(service.app));
});
