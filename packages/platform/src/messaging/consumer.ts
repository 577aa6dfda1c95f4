import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { PoolClient } from 'pg';
import type { Counter } from 'prom-client';
import type { Database } from '../db/database.js';
import { AppError } from '../errors/app-error.js';
import { envelopeSchema, type EventEnvelope, ORDERS_EXCHANGE } from '../events/envelope.js';
import type { Logger } from '../logging/logger.js';
import { runWithContext } from '../logging/request-context.js';
import type { Metrics } from '../metrics/metrics.js';
import { contextFrom, inSpan, recordFailure, SpanKind } from '../tracing/spans.js';
import { assertExchange, type Broker } from './broker.js';

/** A message that can never succeed (malformed, or data the handler rejects): parked at once, not retried. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

export interface ConsumerOptions<Outcome = void> {
  broker: Broker;
  db: Database;
  logger: Logger;
  metrics?: Metrics;
  /** This consumer's own durable queue. */
  queue: string;
  /** Routing-key patterns bound to `orders_exchange`, e.g. `order.*`. */
  bindings: string[];
  /**
   * Names this consumer's marks in the inbox, for a service whose several consumers receive the same
   * events (its `inbox` then has a `consumer` column in its primary key). Without it, marks are per event.
   */
  inboxConsumer?: string;
  /**
   * Applies one event inside the transaction that also records it in the inbox, so the effect and the
   * "seen" mark commit together: a redelivered event finds its mark and is skipped.
   */
  handle: (event: EventEnvelope, client: PoolClient) => Promise<Outcome>;
  /**
   * Runs after the transaction commits (side effects outside the database, e.g. socket pushes), with what
   * `handle` returned; never for a transaction that failed, whose retry is handled afresh.
   */
  afterCommit?: (event: EventEnvelope, outcome: Outcome) => Promise<void> | void;
  prefetch?: number;
  /** Tries before a failing message is parked in the dead-letter queue. */
  maxAttempts?: number;
  /** Delay before retry n (1-based), in whole milliseconds; the last value repeats. */
  retryDelaysMs?: number[];
}

const ATTEMPTS_HEADER = 'x-attempts';
const CONSUMED_METRIC = 'events_consumed_total';
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [1000, 5000, 15_000, 60_000];

/**
 * Queue names derived from the consumer's queue: one delay queue per retry delay, and its dead-letter queue.
 * The delay is part of the name because a queue's TTL is one of its arguments, which cannot change once the
 * queue exists.
 */
export const retryQueue = (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}`;
export const deadLetterQueue = (queue: string): string => `${queue}.dlq`;

/**
 * Declares the queue topology: `queue` dead-letters into `queue.dlq` (the parking lot); each
 * `queue.retry.<ms>` holds what it is given for that long, then dead-letters it back into `queue`.
 *
 * The delay is a queue's TTL, not each message's: RabbitMQ expires only the message at the head of a queue,
 * so in one queue of mixed per-message TTLs a short retry would wait behind every longer one ahead of it.
 * With one TTL per queue, the head is always the first to expire.
 *
 * Earlier versions delayed every retry in one `queue.retry` queue with per-message TTLs. It is no longer
 * declared and is left alone: what it still holds expires back into `queue` as before, and an instance
 * not yet upgraded may still send to it (deleting it under that instance would silently drop its retries).
 * Once every instance runs this version and it is empty, an operator may delete it. A delay dropped from
 * `retryDelaysMs` likewise leaves its queue behind, draining into `queue`.
 */
export async function declareConsumerQueues(
  channel: ConfirmChannel,
  queue: string,
  bindings: string[],
  retryDelaysMs: readonly number[],
): Promise<void> {
  await assertExchange(channel);
  await channel.assertQueue(deadLetterQueue(queue), { durable: true });
  for (const delayMs of new Set(retryDelaysMs)) {
    await channel.assertQueue(retryQueue(queue, delayMs), {
      durable: true,
      arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
    });
  }
  await channel.assertQueue(queue, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetterQueue(queue) },
  });
  for (const pattern of bindings) await channel.bindQueue(queue, ORDERS_EXCHANGE, pattern);
}

type Delays = readonly [number, ...number[]];

/** Each delay names a queue and becomes its TTL, which RabbitMQ takes only as a whole number of ms. */
const isDelays = (delays: readonly number[]): delays is Delays =>
  delays.length > 0 && delays.every((ms) => Number.isInteger(ms) && ms > 0);

/**
 * An idempotent event consumer. Each message is handled in a database transaction that first inserts
 * its event id into the service's `inbox` table; a duplicate conflicts and is acknowledged untouched.
 * Failures are retried with backoff through the delay queues and, after `maxAttempts`, parked in the
 * dead-letter queue while the rest keeps flowing. An unavailable database is retried without limit:
 * the message is fine, the moment is not.
 */
export class EventConsumer<Outcome = void> {
  private channel: ChannelWrapper | undefined;
  private readonly outcomes;
  private readonly retryDelaysMs: Delays;
  private inFlight = 0;

  constructor(private readonly options: ConsumerOptions<Outcome>) {
    const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    if (!isDelays(delays)) {
      throw new Error(
        `retryDelaysMs of ${options.queue} must be whole positive milliseconds, got [${delays.join(', ')}]`,
      );
    }
    this.retryDelaysMs = delays;
    // One series per queue: a service's several consumers share the counter, registered by the first.
    const registered = options.metrics?.registry.getSingleMetric(CONSUMED_METRIC) as
      Counter<'queue' | 'type' | 'outcome'> | undefined;
    this.outcomes =
      registered ??
      options.metrics?.counter({
        name: CONSUMED_METRIC,
        help: 'Events taken from a queue, by queue, type and outcome',
        labelNames: ['queue', 'type', 'outcome'] as const,
      });
  }

  async start(): Promise<void> {
    const { broker, queue, bindings } = this.options;
    this.channel = broker.createChannel((channel) =>
      declareConsumerQueues(channel, queue, bindings, this.retryDelaysMs),
    );
    await this.channel.consume(queue, (msg) => void this.onMessage(msg), {
      prefetch: this.options.prefetch ?? 20,
    });
    // Resolves once the queues are declared and bound, so no event published after start() is missed.
    await this.channel.waitForConnect();
  }

  async stop(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    if (!channel) return;
    await channel.cancelAll().catch(() => undefined);
    // Let handlers already running finish and acknowledge before the channel goes away.
    for (let waited = 0; this.inFlight > 0 && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await channel.close().catch(() => undefined);
  }

  private async onMessage(msg: ConsumeMessage): Promise<void> {
    this.inFlight += 1;
    try {
      await this.process(msg);
    } finally {
      this.inFlight -= 1;
    }
  }

  private async process(msg: ConsumeMessage): Promise<void> {
    const { logger, queue } = this.options;
    const event = this.parse(msg);
    if (!event) {
      this.count('unknown', 'dead_lettered');
      logger.error(`Malformed message on ${queue} parked in ${deadLetterQueue(queue)}`, {
        event: { id: msg.properties.messageId },
      });
      this.channel?.nack(msg, false, false);
      return;
    }
    await runWithContext({ requestId: event.correlationId ?? event.id }, () =>
      // The handling continues the trace the publisher put in the headers, so the event's effects and
      // follow-ups (socket pushes) belong to the request that caused it.
      inSpan(
        {
          name: `process ${event.type}`,
          kind: SpanKind.CONSUMER,
          parent: contextFrom(msg.properties.headers),
          attributes: {
            'messaging.system': 'rabbitmq',
            'messaging.operation.type': 'process',
            'messaging.destination.name': queue,
            'messaging.rabbitmq.destination.routing_key': event.type,
            'messaging.message.id': event.id,
          },
        },
        async () => {
          try {
            const applied = await this.options.db.transaction(async (client) => {
              const inserted = await this.markSeen(client, event);
              if (inserted.rowCount === 0) return undefined;
              return { outcome: await this.options.handle(event, client) };
            });
            this.count(event.type, applied ? 'processed' : 'duplicate');
            if (applied) await this.followUp(event, applied.outcome);
            this.channel?.ack(msg);
          } catch (err) {
            recordFailure(err);
            await this.fail(msg, event, err);
          }
        },
      ),
    );
  }

  /**
   * Runs `afterCommit`. Its failure is logged, never retried: the effect has committed, so a redelivery
   * would find the inbox mark and be skipped as a duplicate, and the follow-up would not run again anyway.
   */
  private async followUp(event: EventEnvelope, outcome: Outcome): Promise<void> {
    try {
      await this.options.afterCommit?.(event, outcome);
    } catch (err) {
      this.options.logger.error(`Follow-up of ${event.type} on ${this.options.queue} failed after its commit`, {
        err,
        event: { id: event.id },
      });
    }
  }

  /** Records the event in the inbox; no row inserted means this consumer has seen it before. */
  private markSeen(client: PoolClient, event: EventEnvelope) {
    const consumer = this.options.inboxConsumer;
    if (consumer === undefined) {
      return client.query('INSERT INTO inbox (event_id, type) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING', [
        event.id,
        event.type,
      ]);
    }
    return client.query(
      'INSERT INTO inbox (consumer, event_id, type) VALUES ($1, $2, $3) ON CONFLICT (consumer, event_id) DO NOTHING',
      [consumer, event.id, event.type],
    );
  }

  private parse(msg: ConsumeMessage): EventEnvelope | undefined {
    try {
      const body: unknown = JSON.parse(msg.content.toString('utf8'));
      const { value, error } = envelopeSchema.validate(body);
      return error ? undefined : value;
    } catch {
      return undefined;
    }
  }

  private async fail(msg: ConsumeMessage, event: EventEnvelope, err: unknown): Promise<void> {
    const { logger, queue } = this.options;
    const channel = this.channel;
    if (!channel) return;
    const poison = err instanceof PoisonMessageError || (err instanceof AppError && err.status < 500);
    const unavailable = err instanceof AppError && err.code === 'DEPENDENCY_UNAVAILABLE';
    const previous = Number(msg.properties.headers?.[ATTEMPTS_HEADER] ?? 0);
    const attempts = unavailable ? previous : previous + 1;
    const maxAttempts = this.options.maxAttempts ?? 5;

    if (poison || attempts >= maxAttempts) {
      this.count(event.type, 'dead_lettered');
      logger.error(`Event ${event.type} parked in ${deadLetterQueue(queue)} after ${attempts} attempt(s)`, {
        err,
        event: { id: event.id },
      });
      channel.nack(msg, false, false);
      return;
    }
    const delays = this.retryDelaysMs;
    // An unavailable database on the first try counts no attempt, yet still waits the first delay.
    const delay = delays[Math.min(Math.max(attempts, 1), delays.length) - 1] ?? delays[0];
    logger.warn(`Event ${event.type} failed; retrying in ${delay} ms`, { err, event: { id: event.id } });
    try {
      // The copy is confirmed before the original is acknowledged, so a crash in between duplicates, never loses.
      await channel.sendToQueue(retryQueue(queue, delay), msg.content, {
        ...msg.properties,
        persistent: true,
        headers: { ...msg.properties.headers, [ATTEMPTS_HEADER]: attempts },
      });
      this.count(event.type, 'retried');
      channel.ack(msg);
    } catch (publishError) {
      logger.warn('Could not schedule a retry; returning the message to the queue', { err: publishError });
      channel.nack(msg, false, true);
    }
  }

  private count(type: string, outcome: string): void {
    this.outcomes?.inc({ queue: this.options.queue, type, outcome });
  }
}

/** Deletes inbox marks older than the retention period (longer than any redelivery can take). */
export async function purgeInbox(db: Database, retentionHours: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM inbox WHERE received_at < now() - make_interval(hours => $1)`, [
    retentionHours,
  ]);
  return rowCount ?? 0;
}
