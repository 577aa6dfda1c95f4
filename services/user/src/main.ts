import { createHttpServer, ServiceRuntime } from '@foodflow/platform';
import { createApp } from './app.js';
import { loadUserConfig } from './config.js';
import { PasswordHasher } from './security/password-hasher.js';

const runtime = ServiceRuntime.boot(() => loadUserConfig());
const { config, logger, metrics, lifecycle } = runtime;

// Closed in reverse order: the server drains first, then the work it relied on stops.
await runtime.run(async () => {
  const db = runtime.database();
  const redis = runtime.redis();
  const hasher = new PasswordHasher(config.extra.passwords);
  lifecycle.onShutdown('password hashing pool', () => hasher.destroy());
  const service = createApp({ config, logger, metrics, db, redis, hasher });
  service.start();
  lifecycle.onShutdown('periodic jobs', service.stop);
  await runtime.serve(createHttpServer(service.app));
});
