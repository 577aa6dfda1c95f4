import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { context, propagation, type SpanContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import amqplib from 'amqplib';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  activeSpanIds,
  appendToOutbox,
  Broker,
  type ConsumerOptions,
  createEvent,
  createLogger,
  createMetrics,
  contextFrom,
  currentTraceCarrier,
  Database,
  deadLetterQueue,
  DEFAULT_RETRY_DELAYS_MS,
  dependencyUnavailable,
  type EventEnvelope,
  EventConsumer,
  inSpan,
  ORDERS_EXCHANGE,
  OutboxRelay,
  PoisonMessageError,
  retryQueue,
  type TraceCarrier,
} from '@foodflow/platform';
import { eventually, metricValue } from '@foodflow/platform/testing';
import { registerTracerProvider } from '../src/tracing/tracer-provider.js';
import { ADMIN_DATABASE_URL, TEST_DATABASE, testEnv } from '../../../tests/setup/test-env.js';

/**
 * The outbox relay and the idempotent consumer against the real PostgreSQL and RabbitMQ. The tables
 * live in a schema of their own, created from the same DDL the services migrate with.
 */
// A schema per run: concurrent runs of this file must not drop each other's tables.
const SCHEMA = `platform_test_${randomUUID().slice(0, 8)}`;
const logger = createLogger({ service: 'platform-test', silent: true });
const { AMQP_URL } = testEnv('orders_service');

const adminUrl = (): string => {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${TEST_DATABASE}`;
  return url.toString();
};

let db: Database;
let broker: Broker;
let amqp: amqplib.ChannelModel;
let channel: amqplib.Channel;

/** The up parts of the orders schema's platform migrations: inbox, outbox (with its trace columns), trigger function. */
function platformDdl(): string {
  const files = [
    '1732500000000_platform.sql',
    '1732500003000_outbox_trace_context.sql',
    '1732500004000_outbox_trace_link.sql',
  ];
  return files
    .map((file) => readFileSync(new URL(`../../../db/migrations/orders/${file}`, import.meta.url), 'utf8'))
    .map((sql) => sql.split('-- Down Migration')[0] ?? '')
    .join('\n');
}

/** A queue of the test's own bound to the exchange, collecting what arrives. */
async function collector(pattern: string): Promise<{ messages: amqplib.ConsumeMessage[]; queue: string }> {
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, ORDERS_EXCHANGE, pattern);
  const messages: amqplib.ConsumeMessage[] = [];
  await channel.consume(queue, (msg) => msg && messages.push(msg), { noAck: true });
  return { messages, queue };
}

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${SCHEMA}`);
  await admin.query(`SET search_path = ${SCHEMA}`);
  await admin.query(platformDdl());
  await admin.end();
  const url = new URL(adminUrl());
  url.searchParams.set('options', `-c search_path=${SCHEMA}`);
  db = new Database({ url: url.toString(), logger, applicationName: 'platform-test' });
  broker = new Broker({ url: AMQP_URL, logger, name: 'platform-test' });
  await broker.waitForConnection();
  amqp = await amqplib.connect(AMQP_URL);
  channel = await amqp.createChannel();
  await channel.assertExchange(ORDERS_EXCHANGE, 'topic', { durable: true });
});

afterAll(async () => {
  await amqp?.close();
  await broker?.close();
  await db?.close();
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.end();
});

describe('transactional outbox', () => {
  it('when events are committed with a change, then the relay publishes each as a persistent message', async () => {
    const { messages } = await collector('platformtest.committed');
    const relay = new OutboxRelay({ db, broker, logger, channel: 'platform_test_outbox' });
    await relay.start();
    try {
      const events = [1, 2, 3].map((n) => createEvent('platformtest.committed', { n }, 'corr-1'));
      await db.transaction((client) => appendToOutbox(client, 'platform_test_outbox', ...events));
      await eventually(async () => (messages.length === 3 ? true : undefined));
      expect(messages.map((m) => JSON.parse(m.content.toString()).data.n)).toEqual([1, 2, 3]);
      const first = messages[0]!;
      expect(first.properties).toMatchObject({
        messageId: events[0]!.id,
        type: 'platformtest.committed',
        contentType: 'application/json',
        deliveryMode: 2,
        correlationId: 'corr-1',
      });
      const { rows } = await db.query('SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL');
      expect(rows[0]?.n).toBe(0);
    } finally {
      await relay.stop();
    }
  });

  it('when tracing is off, then an event about a workflow that kept a trace is written without any', async () => {
    const event = createEvent('platformtest.workflow_off', {});
    const workflow = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    await db.transaction((client) =>
      appendToOutbox(client, { channel: 'platform_test_elsewhere', trace: workflow }, event),
    );
    const { rows } = await db.query('SELECT trace_context, trace_link FROM outbox WHERE id = $1', [event.id]);
    expect(rows).toEqual([{ trace_context: null, trace_link: null }]);
  });

  it('when the transaction rolls back, then its events are never published', async () => {
    const { messages } = await collector('platformtest.rolledback');
    const relay = new OutboxRelay({ db, broker, logger, channel: 'platform_test_outbox' });
    await relay.start();
    try {
      await expect(
        db.transaction(async (client) => {
          await appendToOutbox(client, 'platform_test_outbox', createEvent('platformtest.rolledback', {}));
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      const marker = createEvent('platformtest.rolledback', { marker: true });
      await db.transaction((client) => appendToOutbox(client, 'platform_test_outbox', marker));
      await eventually(async () => (messages.length > 0 ? true : undefined));
      expect(messages.map((m) => m.properties.messageId)).toEqual([marker.id]);
    } finally {
      await relay.stop();
    }
  });

  it('when the committing code wakes the relay itself, then the event is published without a notification', async () => {
    const { messages } = await collector('platformtest.woken');
    // Polling too rarely to matter, and listening on a channel nobody notifies.
    const relay = new OutboxRelay({ db, broker, logger, channel: 'platform_test_silent', pollIntervalMs: 600_000 });
    await relay.start();
    try {
      const event = createEvent('platformtest.woken', {});
      await db.transaction((client) => appendToOutbox(client, 'platform_test_elsewhere', event));
      relay.wake();
      await eventually(async () => (messages.length > 0 ? true : undefined));
      expect(messages.map((m) => m.properties.messageId)).toEqual([event.id]);
    } finally {
      await relay.stop();
    }
  });

  it('when a commit notifies the channel the relay listens on, then the relay publishes it with no poll due and no wake from this process', async () => {
    const { messages } = await collector('platformtest.notified');
    // Committed before the relay starts and announced on another channel, so only the relay's first drain
    // publishes it: once it arrives, that drain has claimed its batch and takes nothing more.
    const waiting = createEvent('platformtest.notified', { n: 1 });
    await db.transaction((client) => appendToOutbox(client, 'platform_test_elsewhere', waiting));
    const relay = new OutboxRelay({ db, broker, logger, channel: 'platform_test_notified', pollIntervalMs: 600_000 });
    await relay.start();
    try {
      await eventually(async () => (messages.length > 0 ? true : undefined));
      const notified = createEvent('platformtest.notified', { n: 2 });
      await db.transaction((client) => appendToOutbox(client, 'platform_test_notified', notified));
      // Far within the first poll (10 minutes away): only the notification can have woken the relay.
      await eventually(async () => (messages.length > 1 ? true : undefined), 20_000);
      expect(messages.map((m) => m.properties.messageId)).toEqual([waiting.id, notified.id]);
    } finally {
      await relay.stop();
    }
  });

  it('when events commit faster than the batch interval, then every one is published, in commit order', async () => {
    const { messages } = await collector('platformtest.batched');
    const relay = new OutboxRelay({
      db,
      broker,
      logger,
      channel: 'platform_test_silent',
      pollIntervalMs: 600_000,
      batchIntervalMs: 200,
    });
    await relay.start();
    try {
      const events = Array.from({ length: 20 }, (_, n) => createEvent('platformtest.batched', { n }));
      for (const event of events) {
        await db.transaction((client) => appendToOutbox(client, 'platform_test_elsewhere', event));
        relay.wake();
      }
      await eventually(async () => (messages.length >= 20 ? true : undefined));
      expect(messages.map((m) => m.properties.messageId)).toEqual(events.map((e) => e.id));
    } finally {
      await relay.stop();
    }
  });

  it('when two relays run at once, then each event is published exactly once', async () => {
    const { messages } = await collector('platformtest.concurrent');
    const relays = [1, 2].map(
      () => new OutboxRelay({ db, broker, logger, channel: 'platform_test_outbox', batchSize: 10 }),
    );
    await Promise.all(relays.map((r) => r.start()));
    try {
      const events = Array.from({ length: 200 }, (_, n) => createEvent('platformtest.concurrent', { n }));
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db.transaction((client) =>
            appendToOutbox(client, 'platform_test_outbox', ...events.slice(i * 10, i * 10 + 10)),
          ),
        ),
      );
      await eventually(async () => (messages.length >= 200 ? true : undefined), 15_000);
      // A relay marks a row published only once the broker has confirmed it, so when no row is left every
      // copy any relay published is already in the queue, ahead of a last message sent now.
      await eventually(async () => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM outbox WHERE type = 'platformtest.concurrent' AND published_at IS NULL`,
        );
        return rows[0]?.n === 0 ? true : undefined;
      });
      channel.publish(ORDERS_EXCHANGE, 'platformtest.concurrent', Buffer.from('{}'), { messageId: 'last' });
      await eventually(async () => (messages.some((m) => m.properties.messageId === 'last') ? true : undefined));
      const ids = messages.map((m) => m.properties.messageId as string).filter((id) => id !== 'last');
      expect(ids).toHaveLength(200);
      expect(new Set(ids).size).toBe(200);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
  });

  it('when the relay loses its connection before its batch commits, then the batch is published again under the same ids', async () => {
    const { messages } = await collector('platformtest.interrupted');
    const held = new HeldBroker({ url: AMQP_URL, logger, name: 'platform-test-held' });
    const relay = new OutboxRelay({ db, broker: held, logger, channel: 'platform_test_silent', pollIntervalMs: 100 });
    await relay.start();
    try {
      const events = [1, 2].map((n) => createEvent('platformtest.interrupted', { n }));
      await db.transaction((client) => appendToOutbox(client, 'platform_test_elsewhere', ...events));
      relay.wake();
      await eventually(async () => (held.held === 2 ? true : undefined));
      const { rows } = await db.query(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
          WHERE datname = current_database() AND state = 'idle in transaction' AND query LIKE 'WITH claimed AS%'`,
      );
      expect(rows).toEqual([{ ended: true }]);
      held.release();
      await eventually(async () => (messages.length >= 4 ? true : undefined));
      const ids = messages.map((m) => m.properties.messageId as string);
      expect(ids.slice(0, 2)).toEqual(events.map((e) => e.id));
      expect(ids.slice(2)).toEqual(events.map((e) => e.id));
      await eventually(async () => {
        const { rows: left } = await db.query(
          `SELECT count(*)::int AS n FROM outbox WHERE type = 'platformtest.interrupted' AND published_at IS NULL`,
        );
        return left[0]?.n === 0 ? true : undefined;
      });
    } finally {
      await relay.stop();
      await held.close();
    }
  });
});

/**
 * The real broker, holding every publish until `release()`: a relay's batch caught between its claim and
 * its broker confirms.
 */
class HeldBroker extends Broker {
  private opened = false;
  private readonly waiting: (() => void)[] = [];
  held = 0;

  override async publish(event: EventEnvelope): Promise<void> {
    if (!this.opened) {
      this.held += 1;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    await super.publish(event);
  }

  release(): void {
    this.opened = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

describe('idempotent consumer', () => {
  /** Each running consumer, with every queue the test leaves on the broker. */
  const running: { consumer: { stop(): Promise<void> }; queues: string[] }[] = [];

  /** An event type of this test's own (types are `word.word`, letters and underscores). */
  const uniqueType = (name: string): string =>
    `platformtest.${name}_${randomUUID()
      .replace(/[^a-f]/g, '')
      .slice(0, 8)}`;

  /** Starts a consumer on a queue of its own (unless given one), bound to an event type of its own. */
  async function startConsumer<Outcome = void>(
    name: string,
    handle: ConsumerOptions<Outcome>['handle'],
    options: Partial<ConsumerOptions<Outcome>> = {},
  ): Promise<{ queue: string; key: string }> {
    const queue = options.queue ?? `platform-test.${randomUUID()}`;
    const key = uniqueType(name);
    const consumer = new EventConsumer({ broker, db, logger, bindings: [key], handle, ...options, queue });
    await consumer.start();
    const delays = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    running.push({ consumer, queues: [queue, ...delays.map((ms) => retryQueue(queue, ms)), deadLetterQueue(queue)] });
    return { queue, key };
  }

  afterEach(async () => {
    for (const { consumer, queues } of running.splice(0)) {
      await consumer.stop();
      for (const q of queues) await channel.deleteQueue(q);
    }
  });

  async function publishRaw(routingKey: string, body: unknown, messageId: string = randomUUID()): Promise<void> {
    const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    channel.publish(ORDERS_EXCHANGE, routingKey, content, { persistent: true, messageId });
  }

  /** Publishes an event as its publisher would: its id is also the message id. */
  const publish = (event: EventEnvelope): Promise<void> => publishRaw(event.type, event, event.id);

  async function deadLettered(queue: string): Promise<number> {
    return (await channel.checkQueue(deadLetterQueue(queue))).messageCount;
  }

  const inboxMarks = async (eventId: string): Promise<number | undefined> =>
    (await db.query('SELECT count(*)::int AS n FROM inbox WHERE event_id = $1', [eventId])).rows[0]?.n;

  it('when the same event arrives twice, then its effect happens once', async () => {
    const handled: string[] = [];
    const metrics = createMetrics('platform-test');
    const { key } = await startConsumer(
      'dup',
      async (event) => {
        handled.push(event.id);
      },
      { metrics },
    );
    const event = createEvent(key, { orderId: randomUUID() });
    await publish(event);
    await publish(event);
    const other = createEvent(key, { orderId: randomUUID() });
    await publish(other);
    // Done once all three messages are counted, as processed or as duplicates.
    const taken = async (): Promise<number> => {
      const text = await metrics.registry.metrics();
      return ['processed', 'duplicate']
        .map((outcome) => metricValue(text, 'events_consumed_total', { type: key, outcome }))
        .reduce((a, b) => a + b, 0);
    };
    await eventually(async () => ((await taken()) === 3 ? true : undefined));
    expect(handled.sort()).toEqual([event.id, other.id].sort());
    expect(await inboxMarks(event.id)).toBe(1);
  });

  it('when the follow-up after a commit fails, then the message is acknowledged, never retried, and later events get theirs', async () => {
    const log = new PassThrough();
    let written = '';
    log.on('data', (chunk: Buffer) => (written += chunk.toString()));
    const handled: string[] = [];
    const followedUp: [string, number][] = [];
    const { queue, key } = await startConsumer(
      'followup',
      async (event) => {
        handled.push(event.id);
        return (event.data as { n: number }).n;
      },
      {
        logger: createLogger({ service: 'platform-test', stream: log }),
        // A retry would wait here far longer than this test runs, where it can be counted.
        retryDelaysMs: [600_000],
        afterCommit: (event, n) => {
          followedUp.push([event.id, n]);
          if (n === 1) throw new Error('push failed');
        },
      },
    );
    const first = createEvent(key, { n: 1 });
    await publish(first);
    await eventually(async () => (written.includes('failed after its commit') ? true : undefined));
    const second = createEvent(key, { n: 2 });
    await publish(second);
    await eventually(async () => (followedUp.length === 2 ? true : undefined));

    expect(followedUp).toEqual([
      [first.id, 1],
      [second.id, 2],
    ]);
    expect(handled).toEqual([first.id, second.id]);
    expect((await channel.checkQueue(retryQueue(queue, 600_000))).messageCount).toBe(0);
    expect(await deadLettered(queue)).toBe(0);
  });

  it('when a message is malformed, then it is parked in the dead-letter queue and the rest keeps flowing', async () => {
    const handled: EventEnvelope[] = [];
    const { queue, key } = await startConsumer('bad', async (e) => void handled.push(e));
    await publishRaw(key, '{not json');
    await publishRaw(key, { id: 'not-a-uuid', type: key, data: {} });
    const good = createEvent(key, { fine: true });
    await publish(good);
    await eventually(async () => ((await deadLettered(queue)) === 2 && handled.length === 1 ? true : undefined));
    expect(handled[0]?.id).toBe(good.id);
  });

  it('when the handler fails for a while, then the event is retried and applied once, its first effect rolled back', async () => {
    let attempts = 0;
    const { queue, key } = await startConsumer(
      'flaky',
      async (event, client) => {
        attempts += 1;
        await client.query('INSERT INTO outbox (id, type, payload) VALUES ($1, $2, $3)', [
          randomUUID(),
          'effect',
          event,
        ]);
        if (attempts < 3) throw new Error('temporarily broken');
      },
      { retryDelaysMs: [50, 100], maxAttempts: 5 },
    );
    const event = createEvent(key, { n: 1 });
    await publish(event);
    await eventually(async () => ((await inboxMarks(event.id)) === 1 ? true : undefined));
    expect(attempts).toBe(3);
    const effects = await db.query(
      `SELECT count(*)::int AS n FROM outbox WHERE type = 'effect' AND payload->>'id' = $1`,
      [event.id],
    );
    expect(effects.rows[0]?.n).toBe(1);
    expect(await deadLettered(queue)).toBe(0);
  });

  it('when the handler always fails, then the event is parked after the last attempt while others still flow', async () => {
    let poisonAttempts = 0;
    const handled: string[] = [];
    const { queue, key } = await startConsumer(
      'poison',
      async (event) => {
        if ((event.data as { poison?: boolean }).poison) {
          poisonAttempts += 1;
          throw new Error('always broken');
        }
        handled.push(event.id);
      },
      { retryDelaysMs: [30], maxAttempts: 3 },
    );
    await publish(createEvent(key, { poison: true }));
    const fine = Array.from({ length: 5 }, () => createEvent(key, { poison: false }));
    for (const e of fine) await publish(e);
    await eventually(async () => ((await deadLettered(queue)) === 1 ? true : undefined));
    expect(poisonAttempts).toBe(3);
    expect(handled.sort()).toEqual(fine.map((e) => e.id).sort());
  });

  it('when the handler declares the message poison, then it is parked at once without retries', async () => {
    let attempts = 0;
    const { queue, key } = await startConsumer('reject', async () => {
      attempts += 1;
      throw new PoisonMessageError('data can never be applied');
    });
    await publish(createEvent(key, {}));
    await eventually(async () => ((await deadLettered(queue)) === 1 ? true : undefined));
    expect(attempts).toBe(1);
  });

  it('when a retry with a short delay follows one with a long delay, then the short one is retried first', async () => {
    const tries: string[] = [];
    const longDelayMs = 600_000;
    const { queue, key } = await startConsumer(
      'backoff',
      async (event) => {
        tries.push(event.id);
        const failing = (event.data as { failing: 'always' | 'once' }).failing;
        if (failing === 'always' || tries.filter((id) => id === event.id).length === 1) {
          throw new Error('temporarily broken');
        }
      },
      { retryDelaysMs: [50, longDelayMs], maxAttempts: 5 },
    );
    const slow = createEvent(key, { failing: 'always' });
    await publish(slow);
    // Its second failure sends it to wait out the long delay.
    await eventually(async () =>
      (await channel.checkQueue(retryQueue(queue, longDelayMs))).messageCount === 1 ? true : undefined,
    );
    const quick = createEvent(key, { failing: 'once' });
    await publish(quick);
    // Far within the long delay (10 minutes): the quick retry must not wait behind the slow one.
    await eventually(async () => ((await inboxMarks(quick.id)) === 1 ? true : undefined), 20_000);
    expect(tries).toEqual([slow.id, slow.id, quick.id, quick.id]);
    expect((await channel.checkQueue(retryQueue(queue, longDelayMs))).messageCount).toBe(1);
  });

  it('when the database stays unavailable past the last attempt, then the event is retried until it applies, never parked', async () => {
    let attempts = 0;
    const { queue, key } = await startConsumer(
      'unavailable',
      async () => {
        attempts += 1;
        if (attempts <= 4) throw dependencyUnavailable('The database');
      },
      { retryDelaysMs: [30], maxAttempts: 2 },
    );
    const event = createEvent(key, {});
    await publish(event);
    await eventually(async () => ((await inboxMarks(event.id)) === 1 ? true : undefined));
    expect(attempts).toBe(5);
    expect(await deadLettered(queue)).toBe(0);
  });

  it('when a retry still waits in the single retry queue of the earlier layout, then the consumer starts beside it and the retry comes back to it', async () => {
    const queue = `platform-test.${randomUUID()}`;
    const earlierRetryQueue = `${queue}.retry`;
    // Declared exactly as earlier versions did, each message carrying its own TTL.
    await channel.assertQueue(earlierRetryQueue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue },
    });
    try {
      const handled: string[] = [];
      const { key } = await startConsumer('earlier', async (event) => void handled.push(event.id), { queue });
      const event = createEvent(key, {});
      channel.sendToQueue(earlierRetryQueue, Buffer.from(JSON.stringify(event)), {
        persistent: true,
        messageId: event.id,
        expiration: '50',
        headers: { 'x-attempts': 1 },
      });
      await eventually(async () => (handled.length > 0 ? true : undefined));
      expect(handled).toEqual([event.id]);
    } finally {
      await channel.deleteQueue(earlierRetryQueue);
    }
  });

  it('when a retry delay is not a whole positive number of milliseconds, then the consumer refuses to be built', () => {
    for (const retryDelaysMs of [[], [1000, 1.5], [0]]) {
      expect(
        () =>
          new EventConsumer({
            broker,
            db,
            logger,
            queue: 'unused',
            bindings: [],
            handle: async () => undefined,
            retryDelaysMs,
          }),
      ).toThrow('retryDelaysMs of unused must be whole positive milliseconds');
    }
  });
});

describe('trace context through the outbox and the broker', () => {
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider;
  const stopping: { stop(): Promise<void> }[] = [];
  const queues: string[] = [];

  beforeAll(() => {
    provider = registerTracerProvider({ processor: new SimpleSpanProcessor(exporter) });
  });

  afterEach(async () => {
    for (const running of stopping.splice(0)) await running.stop();
    for (const queue of queues.splice(0)) await channel.deleteQueue(queue);
    exporter.reset();
  });

  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
  });

  const spanNamed = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);
  /** A span's place in its trace, without the flags and state that come with it. */
  const ids = (of: SpanContext | undefined) => of && { traceId: of.traceId, spanId: of.spanId };

  /** A consumer on a queue of its own; `handle` runs as the service's handler would. */
  async function consume(key: string, handle: ConsumerOptions['handle'], retryDelaysMs?: number[]): Promise<void> {
    const queue = `platform-test.${randomUUID()}`;
    const consumer = new EventConsumer({ broker, db, logger, queue, bindings: [key], handle, retryDelaysMs });
    await consumer.start();
    stopping.push(consumer);
    queues.push(queue, ...(retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS).map((ms) => retryQueue(queue, ms)));
    queues.push(deadLetterQueue(queue));
  }

  it('when an event is written inside a trace, then its row, its publishing, its message, its handling and what the handler logs continue that trace', async () => {
    const key = 'platformtest.traced';
    const { messages } = await collector(key);
    const output = new PassThrough({ encoding: 'utf8' });
    let logged = '';
    output.on('data', (chunk: string) => (logged += chunk));
    const handlerLogger = createLogger({ service: 'platform-test', stream: output });
    const handled: { traceId: string; spanId: string }[] = [];
    await consume(key, async (event) => {
      handled.push(activeSpanIds()!);
      handlerLogger.info(`Handled ${event.id}`);
    });
    const relay = new OutboxRelay({ db, broker, logger, channel: 'platform_test_outbox' });
    await relay.start();
    stopping.push(relay);

    const event = createEvent(key, { n: 1 });
    await inSpan({ name: 'checkout', kind: SpanKind.SERVER }, () =>
      db.transaction((client) => appendToOutbox(client, 'platform_test_outbox', event)),
    );
    await eventually(async () => (handled.length === 1 && messages.length === 1 ? true : undefined));

    const [checkout] = spanNamed('checkout');
    const [publish] = spanNamed(`publish ${key}`);
    const [processed] = spanNamed(`process ${key}`);
    const { traceId, spanId: checkoutId } = checkout!.spanContext();
    const { rows } = await db.query('SELECT trace_context FROM outbox WHERE id = $1', [event.id]);
    expect(rows[0]?.trace_context.traceparent).toBe(`00-${traceId}-${checkoutId}-01`);
    expect(publish?.kind).toBe(SpanKind.PRODUCER);
    expect(ids(publish?.parentSpanContext)).toEqual(ids(checkout!.spanContext()));
    const publishId = publish!.spanContext().spanId;
    expect(messages[0]!.properties.headers?.['traceparent']).toBe(`00-${traceId}-${publishId}-01`);
    expect(processed?.kind).toBe(SpanKind.CONSUMER);
    expect(ids(processed?.parentSpanContext)).toEqual(ids(publish!.spanContext()));
    expect(processed!.spanContext().traceId).toBe(traceId);
    expect(handled).toEqual([ids(processed!.spanContext())]);
    const line = JSON.parse(logged.trim()) as { trace?: { id: string }; span?: { id: string } };
    expect(line).toMatchObject({ trace: { id: traceId }, span: { id: processed!.spanContext().spanId } });
  });

  /** Runs `work` in a span of a trace of its own, as a request would; returns the span's context as headers. */
  const inRequest = async (name: string, work: () => Promise<void> = async () => undefined): Promise<TraceCarrier> => {
    let carrier: TraceCarrier | null = null;
    await inSpan({ name, kind: SpanKind.SERVER }, async () => {
      carrier = currentTraceCarrier();
      await work();
    });
    return carrier!;
  };
  const startRelay = async (): Promise<void> => {
    const relay = new OutboxRelay({ db, broker, logger, channel: 'platform_test_outbox' });
    await relay.start();
    stopping.push(relay);
  };
  const linkIds = (span: { links: { context: SpanContext }[] } | undefined) => span?.links.map((l) => ids(l.context));

  it("when an event about a workflow is written by a request of another trace, then its publishing and handling continue the workflow's trace, and the publishing and the request link to each other", async () => {
    const key = 'platformtest.workflow_step';
    const handled: { traceId: string; spanId: string }[] = [];
    await consume(key, async () => {
      handled.push(activeSpanIds()!);
    });
    await startRelay();

    const workflow = await inRequest('checkout');
    const event = createEvent(key, { n: 3 });
    await inRequest('confirm', () =>
      db.transaction((client) => appendToOutbox(client, { channel: 'platform_test_outbox', trace: workflow }, event)),
    );
    await eventually(async () => (handled.length === 1 ? true : undefined));

    const [checkout] = spanNamed('checkout');
    const [confirm] = spanNamed('confirm');
    const [publish] = spanNamed(`publish ${key}`);
    const [processed] = spanNamed(`process ${key}`);
    expect(confirm!.spanContext().traceId).not.toBe(checkout!.spanContext().traceId);
    expect(ids(publish?.parentSpanContext)).toEqual(ids(checkout!.spanContext()));
    expect(linkIds(publish)).toEqual([ids(confirm!.spanContext())]);
    expect(linkIds(confirm)).toEqual([ids(checkout!.spanContext())]);
    expect(ids(processed?.parentSpanContext)).toEqual(ids(publish!.spanContext()));
    expect(handled).toEqual([ids(processed!.spanContext())]);
    const { rows } = await db.query('SELECT trace_context, trace_link FROM outbox WHERE id = $1', [event.id]);
    expect(rows[0]).toEqual({ trace_context: workflow, trace_link: expect.objectContaining({}) });
    expect(trace.getSpanContext(contextFrom(rows[0]?.trace_link))?.spanId).toBe(confirm!.spanContext().spanId);
  });

  it("when an event about a workflow is written inside the workflow's trace (handling one of its events), then it continues from there, unlinked", async () => {
    const key = 'platformtest.workflow_followup';
    const handled: string[] = [];
    await consume(key, async (event) => {
      handled.push(event.id);
    });
    await startRelay();

    let handling: TraceCarrier | undefined;
    await inRequest('checkout', async () => {
      const workflow = currentTraceCarrier();
      await inSpan({ name: 'handling', kind: SpanKind.CONSUMER }, async () => {
        handling = currentTraceCarrier()!;
        await db.transaction((client) =>
          appendToOutbox(client, { channel: 'platform_test_outbox', trace: workflow }, createEvent(key, { n: 4 })),
        );
      });
    });
    await eventually(async () => (handled.length === 1 ? true : undefined));

    const [publish] = spanNamed(`publish ${key}`);
    expect(ids(publish?.parentSpanContext)).toEqual(ids(trace.getSpanContext(contextFrom(handling))));
    expect(publish?.links).toEqual([]);
    expect(spanNamed('handling')[0]?.links).toEqual([]);
  });

  it('when a workflow kept no trace, or a row was written by the earlier release (no link column), then the event continues the trace it was written in', async () => {
    const key = 'platformtest.workflow_untraced';
    const handled: string[] = [];
    await consume(key, async (event) => {
      handled.push(event.id);
    });
    const untracedWorkflow = createEvent(key, { n: 5 });
    const earlierRelease = createEvent(key, { n: 6 });
    const writer = await inRequest('change', async () => {
      await db.transaction((client) =>
        appendToOutbox(client, { channel: 'platform_test_outbox', trace: null }, untracedWorkflow),
      );
      await db.query('INSERT INTO outbox (id, type, payload, created_at, trace_context) VALUES ($1, $2, $3, $4, $5)', [
        earlierRelease.id,
        key,
        JSON.stringify(earlierRelease),
        earlierRelease.occurredAt,
        currentTraceCarrier(),
      ]);
    });
    await startRelay();
    await eventually(async () => (handled.length === 2 ? true : undefined));

    const published = spanNamed(`publish ${key}`);
    expect(published.map((span) => ids(span.parentSpanContext))).toEqual([
      ids(trace.getSpanContext(contextFrom(writer))),
      ids(trace.getSpanContext(contextFrom(writer))),
    ]);
    expect(published.map((span) => span.links)).toEqual([[], []]);
  });

  it('when a handling fails and is retried, then each attempt continues the trace of the publishing, the failed one marked', async () => {
    const key = 'platformtest.traced_retry';
    let attempts = 0;
    await consume(key, async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('not yet');
    }, [50]);
    const relay = new OutboxRelay({ db, broker, logger, channel: 'platform_test_outbox' });
    await relay.start();
    stopping.push(relay);
    await inSpan({ name: 'change', kind: SpanKind.SERVER }, () =>
      db.transaction((client) => appendToOutbox(client, 'platform_test_outbox', createEvent(key, { n: 2 }))),
    );
    await eventually(async () => (spanNamed(`process ${key}`).length === 2 ? true : undefined));

    const [publish] = spanNamed(`publish ${key}`);
    const processed = spanNamed(`process ${key}`);
    for (const attempt of processed) expect(ids(attempt.parentSpanContext)).toEqual(ids(publish!.spanContext()));
    expect(processed.map((attempt) => attempt.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
  });

  it('when a message carries no trace context, or one that cannot be read, then its handling starts a trace of its own', async () => {
    const key = 'platformtest.untraced';
    const handled: string[] = [];
    await consume(key, async (event) => {
      handled.push(event.id);
    });
    for (const headers of [{}, { traceparent: 'not a trace' }]) {
      const event = createEvent(key, { headers });
      channel.publish(ORDERS_EXCHANGE, key, Buffer.from(JSON.stringify(event)), { messageId: event.id, headers });
    }
    await eventually(async () => (handled.length === 2 ? true : undefined));
    const processed = spanNamed(`process ${key}`);
    expect(processed.map((span) => span.parentSpanContext)).toEqual([undefined, undefined]);
    expect(new Set(processed.map((span) => span.spanContext().traceId)).size).toBe(2);
  });

  it('when trace headers arrive as buffers (AMQP long strings), then they are read as their text', () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const parent = trace.getSpanContext(contextFrom({ traceparent: Buffer.from(traceparent) }));
    expect(parent).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' });
    expect(trace.getSpanContext(contextFrom(undefined))).toBeUndefined();
  });
});
