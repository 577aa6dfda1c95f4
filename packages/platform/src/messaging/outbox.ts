import pg from 'pg';
import type { Database, Queryable } from '../db/database.js';
import { type EventEnvelope, ORDERS_EXCHANGE } from '../events/envelope.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import {
  contextFrom,
  currentTraceCarrier,
  eventTrace,
  inSpan,
  linksTo,
  outsideTrace,
  SpanKind,
  type TraceCarrier,
} from '../tracing/spans.js';
import type { Broker } from './broker.js';

/**
 * Transactional outbox. A service writes its state change and the event that announces it in one
 * transaction (`appendToOutbox`), so either both happen or neither; the relay then publishes the rows
 * to RabbitMQ and marks them published only after the broker confirms. A crash between the two
 * republishes the event, which consumers absorb by deduplicating on the event id.
 *
 * Each row keeps the trace context its publishing continues (`trace_context`, W3C headers; null when
 * tracing is off): the relay publishes later, from a batch of its own, and carries the trace on from there.
 * That is the context the row was written in, or, for an event about a workflow that keeps a trace of its
 * own (an order's), that trace, with the span that caused the event kept in `trace_link` (see `eventTrace`).
 *
 * The `outbox` table lives in each service's own schema (reached through the role's search_path).
 */
export async function appendToOutbox(
  client: Queryable,
  target: string | OutboxTarget,
  ...events: EventEnvelope[]
): Promise<void> {
  if (events.length === 0) return;
  const { channel, trace } = typeof target === 'string' ? { channel: target, trace: null } : target;
  const { parent, cause } = eventTrace(trace);
  // The notification is delivered to listeners only when the transaction commits, which is exactly when
  // the rows become visible.
  await client.query({
    name: 'outbox.append',
    text: `WITH appended AS (
             INSERT INTO outbox (id, type, payload, created_at, trace_context, trace_link)
             SELECT e.id, e.type, e.payload, e.created_at, $3::jsonb, $4::jsonb
               FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, type text, payload jsonb, created_at timestamptz)
             RETURNING 1
           )
           SELECT pg_notify($2, count(*)::text) FROM appended`,
    values: [
      JSON.stringify(events.map((e) => ({ id: e.id, type: e.type, payload: e, created_at: e.occurredAt }))),
      channel,
      parent,
      cause,
    ],
  });
}

/** Where `appendToOutbox` writes: the channel that wakes the relay, and the workflow the events are about. */
export interface OutboxTarget {
  /** The LISTEN/NOTIFY channel, e.g. `orders_outbox`. */
  channel: string;
  /** The trace context the workflow kept from its start, which its events continue (null: none kept). */
  trace: TraceCarrier | null;
}

/**
 * Publishes an outbox row in a producer span continuing the row's trace, linked to the span that caused
 * it when that one is in another trace; the message carries the producer span's context in its headers,
 * for the consumers to continue.
 */
function publishTraced(broker: Broker, row: OutboxRow): Promise<void> {
  const event = row.payload;
  return inSpan(
    {
      name: `publish ${event.type}`,
      kind: SpanKind.PRODUCER,
      parent: contextFrom(row.trace_context),
      links: linksTo(row.trace_link),
      attributes: {
        'messaging.system': 'rabbitmq',
        'messaging.operation.type': 'send',
        'messaging.destination.name': ORDERS_EXCHANGE,
        'messaging.rabbitmq.destination.routing_key': event.type,
        'messaging.message.id': event.id,
      },
    },
    () => broker.publish(event, { headers: currentTraceCarrier() ?? {} }),
  );
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
  /**
   * Least time between the starts of two batches. Under a steady stream of commits each batch then carries
   * several events, not one, for a few database round trips in all, at the cost of at most this much lag;
   * a wake after a quiet spell still publishes at once. 0 (the default) publishes on every wake.
   */
  batchIntervalMs?: number;
}

interface OutboxRow {
  id: string;
  type: string;
  payload: EventEnvelope;
  created_at: Date;
  trace_context: TraceCarrier | null;
  trace_link: TraceCarrier | null;
}

/**
 * Publishes outbox rows. Woken for low latency by NOTIFY, or by `wake()` from code of this process that has
 * just committed an event (which then needs no notification), and by a timer as a safety net. Several
 * relays (one per service instance) can run at once: each claims its batch with `FOR UPDATE SKIP LOCKED`.
 */
export class OutboxRelay {
  private listener: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private draining: Promise<void> | undefined;
  private again = false;
  private pending: NodeJS.Timeout | undefined;
  private lastDrainAt = 0;
  private readonly lost = new WeakSet<pg.Client>();
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
    clearTimeout(this.pending);
    this.pending = undefined;
    await this.draining;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /**
   * Runs a drain now, or right after the one in progress (never two at once in one process), or once the
   * batch interval has passed; events that commit meanwhile are published together in that drain.
   */
  wake(): void {
    if (!this.running || this.pending) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    const wait = this.lastDrainAt + (this.options.batchIntervalMs ?? 0) - Date.now();
    if (wait > 0) {
      this.pending = setTimeout(() => {
        this.pending = undefined;
        this.wake();
      }, wait);
      return;
    }
    this.lastDrainAt = Date.now();
    // Each published row continues the trace it was written in, not that of whatever woke the relay.
    this.draining = outsideTrace(() => this.drain())
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

  /**
   * Claims a batch, publishes it and marks it published in one transaction of three round trips: the rows
   * are marked as they are claimed, but the mark commits only after every confirm has arrived. A failed
   * publish, or a connection lost before the commit, rolls it back, so the batch is published again later
   * under the same message ids (consumers deduplicate on them); the row locks keep other relays off the
   * batch meanwhile.
   */
  private async publishBatch(batchSize: number): Promise<number> {
    const { broker } = this.options;
    return this.inTransaction(async (client) => {
      // UPDATE ... RETURNING promises no order, hence the outer ORDER BY.
      const { rows } = await client.query<OutboxRow>({
        name: 'outbox.claim-batch',
        text: `WITH claimed AS (
                 UPDATE outbox SET published_at = now()
                  WHERE id IN (SELECT id FROM outbox
                                WHERE published_at IS NULL
                                ORDER BY seq
                                LIMIT $1
                                FOR UPDATE SKIP LOCKED)
                  RETURNING seq, id, type, payload, created_at, trace_context, trace_link
               )
               SELECT id, type, payload, created_at, trace_context, trace_link FROM claimed ORDER BY seq`,
        values: [batchSize],
      });
      if (rows.length === 0) return 0;
      // Confirms arrive asynchronously, so the whole batch is in flight at once; order within a batch
      // is kept by the channel (RabbitMQ preserves publish order per channel).
      await Promise.all(rows.map((row) => publishTraced(broker, row)));
      const now = Date.now();
      for (const row of rows) {
        this.lag?.observe((now - row.created_at.getTime()) / 1000);
        this.published?.inc({ type: row.type });
      }
      return rows.length;
    });
  }

  /**
   * Batches run on the relay's own connection (the one that listens), so publishing never queues behind
   * requests for a pooled connection; while that connection is being re-established they use the pool.
   */
  private async inTransaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    const client = this.listener;
    if (!client) return this.options.db.transaction(work);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      // A connection left inside a transaction would fail every later batch: replace it instead.
      await client.query('ROLLBACK').catch((rollbackError: unknown) => this.lose(client, rollbackError));
      throw err;
    }
  }

  private async listen(): Promise<void> {
    const { db, channel } = this.options;
    const client = new pg.Client({
      connectionString: db.pool.options.connectionString,
      application_name: db.pool.options.application_name,
    });
    client.on('notification', () => this.wake());
    client.on('error', (err) => this.lose(client, err));
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      if (this.running) this.listener = client;
      else await client.end();
    } catch (err) {
      this.lose(client, err);
    }
  }

  /** Drops a broken listening connection (batches use the pool meanwhile) and listens again a second later. */
  private lose(client: pg.Client, err: unknown): void {
    if (this.lost.has(client)) return;
    this.lost.add(client);
    this.options.logger.warn('Outbox listener lost its connection; polling until it is back', { err });
    if (this.listener === client) this.listener = undefined;
    client.end().catch(() => undefined);
    setTimeout(() => {
      if (this.running) this.listen().catch(() => undefined);
    }, 1000).unref();
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
