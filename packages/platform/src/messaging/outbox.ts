import pg from 'pg';
import type { Database, Queryable } from '../db/database.js';
import type { EventEnvelope } from '../events/envelope.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Broker } from './broker.js';

/**
 * Transactional outbox. A service writes its state change and the event that announces it in one
 * transaction (`appendToOutbox`), so either both happen or neither; the relay then publishes the rows
 * to RabbitMQ and marks them published only after the broker confirms. A crash between the two
 * republishes the event, which consumers absorb by deduplicating on the event id.
 *
 * The `outbox` table lives in each service's own schema (reached through the role's search_path).
 */
export async function appendToOutbox(client: Queryable, channel: string, ...events: EventEnvelope[]): Promise<void> {
  if (events.length === 0) return;
  await client.query(
    `INSERT INTO outbox (id, type, payload, created_at)
     SELECT e.id, e.type, e.payload, e.created_at
       FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, type text, payload jsonb, created_at timestamptz)`,
    [JSON.stringify(events.map((e) => ({ id: e.id, type: e.type, payload: e, created_at: e.occurredAt })))],
  );
  // Delivered to listeners only when the transaction commits, which is exactly when the rows become visible.
  await client.query('SELECT pg_notify($1, $2)', [channel, String(events.length)]);
}

export interface OutboxRelayOptions {
  db: Database;
  broker: Broker;
  logger: Logger;
  metrics?: Metrics;
  /** The LISTEN/NOTIFY channel, e.g. `orders_outbox`. */
  channel: string;
  batchSize?: number;
  /** Safety-net poll for anything a lost notification or a broker outage left behind. */
  pollIntervalMs?: number;
}

interface OutboxRow {
  id: string;
  type: string;
  payload: EventEnvelope;
  created_at: Date;
}

/**
 * Publishes outbox rows. Woken by NOTIFY for low latency and by a timer as a safety net. Several relays
 * (one per service instance) can run at once: each claims its batch with `FOR UPDATE SKIP LOCKED`.
 */
export class OutboxRelay {
  private listener: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private draining: Promise<void> | undefined;
  private again = false;
  private readonly lag;
  private readonly published;

  constructor(private readonly options: OutboxRelayOptions) {
    this.lag = options.metrics?.histogram({
      name: 'outbox_publish_lag_seconds',
      help: 'Time from an event being committed to the outbox to the broker confirming it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    });
    this.published = options.metrics?.counter({
      name: 'events_published_total',
      help: 'Events published to the broker, by type',
      labelNames: ['type'] as const,
    });
  }

  async start(): Promise<void> {
    this.running = true;
    await this.listen();
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs ?? 1000);
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    await this.draining;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /** Runs a drain now, or right after the one in progress (never two at once in one process). */
  wake(): void {
    if (!this.running) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((err: unknown) => {
        this.options.logger.warn('Outbox relay could not publish; will retry', { err });
      })
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Publishes until the outbox holds nothing unclaimed. */
  private async drain(): Promise<void> {
    const batchSize = this.options.batchSize ?? 100;
    let count: number;
    do {
      count = await this.publishBatch(batchSize);
    } while (count === batchSize && this.running);
  }

  private async publishBatch(batchSize: number): Promise<number> {
    const { db, broker } = this.options;
    return db.transaction(async (client) => {
      const { rows } = await client.query<OutboxRow>(
        `SELECT id, type, payload, created_at FROM outbox
          WHERE published_at IS NULL
          ORDER BY seq
          LIMIT $1
          FOR UPDATE SKIP LOCKED`,
        [batchSize],
      );
      if (rows.length === 0) return 0;
      // Confirms arrive asynchronously, so the whole batch is in flight at once; order within a batch
      // is kept by the channel (RabbitMQ preserves publish order per channel).
      await Promise.all(rows.map((row) => broker.publish(row.payload)));
      await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])', [rows.map((r) => r.id)]);
      const now = Date.now();
      for (const row of rows) {
        this.lag?.observe((now - row.created_at.getTime()) / 1000);
        this.published?.inc({ type: row.type });
      }
      return rows.length;
    });
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.db.pool.options.connectionString });
    client.on('notification', () => this.wake());
    client.on('error', (err) => {
      this.options.logger.warn('Outbox listener lost its connection; polling until it is back', { err });
      this.listener = undefined;
      client.end().catch(() => undefined);
      setTimeout(() => {
        if (this.running) this.listen().catch(() => undefined);
      }, 1000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.options.channel)}`);
      this.listener = client;
    } catch (err) {
      client.emit('error', err as Error);
    }
  }
}

/** Deletes published outbox rows older than the retention period; returns how many. */
export async function purgePublishedOutbox(db: Database, retentionHours: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < now() - make_interval(hours => $1)`,
    [retentionHours],
  );
  return rowCount ?? 0;
}
