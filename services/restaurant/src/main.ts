import { createHttpServer, every, purgeInbox, ServiceRuntime } from '@foodflow/platform';
import { createApp } from './app.js';
import { loadConfig } from './config.js';

const runtime = ServiceRuntime.boot(() => loadConfig());
const { config, logger, metrics, lifecycle } = runtime;

await runtime.run(async () => {
  const db = runtime.database();
  const redis = runtime.redis();
  const broker = runtime.broker();

  const { app, start, stop } = createApp({ config, logger, metrics, db, redis, broker });
  await start();
  lifecycle.onShutdown('order.created consumer', stop);
  // Inbox marks only need to outlive any redelivery of their event; a week is far beyond that.
  const inboxPurge = every('inbox purge', 60 * 60 * 1000, () => purgeInbox(db, 7 * 24), logger);
  lifecycle.onShutdown('inbox purge', () => inboxPurge.stop());

  await runtime.serve(createHttpServer(app));
});
