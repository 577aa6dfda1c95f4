import { type Database, type Logger, purgeInbox, purgePublishedOutbox } from '@foodflow/platform';
import { purgeExpiredKeys } from '../idempotency/idempotency.repository.js';

/** Removes what has outlived its purpose: expired idempotency keys, published outbox rows, old inbox marks. */
export async function cleanUp(
  db: Database,
  logger: Logger,
  retention: { outboxHours: number; inboxHours: number },
): Promise<void> {
  const [keys, outbox, inbox] = await Promise.all([
    purgeExpiredKeys(db),
    purgePublishedOutbox(db, retention.outboxHours),
    purgeInbox(db, retention.inboxHours),
  ]);
  logger.info('Cleanup done', { purged: { idempotencyKeys: keys, outbox, inbox } });
}
