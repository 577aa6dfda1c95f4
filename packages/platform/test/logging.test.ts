import { PassThrough } from 'node:stream';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, createLogger, createMetrics, inSpan } from '@foodflow/platform';
import { eventually, http, type RunningApp, startHttp } from '@foodflow/platform/testing';
import { registerTracerProvider } from '../src/tracing/tracer-provider.js';

interface LogLine {
  '@timestamp': string;
  'log.level': string;
  message: string;
  'ecs.version': string;
  service: { name: string };
  http?: { request?: { id?: string } };
  trace?: { id: string };
  span?: { id: string };
  error?: { type?: string; message?: string; stack_trace?: string };
}

/** Every line the service logs, as its log shipper would read them from stdout. */
const output = new PassThrough({ encoding: 'utf8' });
let written = '';
output.on('data', (chunk: string) => {
  written += chunk;
});
const lines = (): LogLine[] =>
  written
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
const linesOf = (requestId: string): LogLine[] => lines().filter((l) => l.http?.request?.id === requestId);

const logger = createLogger({ service: 'logging-test', stream: output });
let app: RunningApp;
let releaseSlow: () => void = () => undefined;

beforeAll(async () => {
  app = await startHttp(
    createHttpApp({
      logger,
      metrics: createMetrics('logging-test'),
      health: [],
      routes: (router) => {
        router.get('/api/slow', async (_req, res) => {
          logger.info('slow request started');
          await new Promise<void>((resolve) => {
            releaseSlow = resolve;
          });
          logger.info('slow request finishing');
          res.json({ ok: true });
        });
        router.get('/api/quick', (_req, res) => {
          logger.info('quick request');
          res.json({ ok: true });
        });
        router.get('/api/explode', () => {
          throw new Error('secret internal detail: postgres://orders:hunter2@db');
        });
      },
    }),
  );
});

afterAll(() => app.close());

describe('log lines', () => {
  it('when a request logs, then each line is ECS JSON carrying the X-Request-ID the caller sent', async () => {
    const res = await http('GET', `${app.baseUrl}/api/quick`, { headers: { 'X-Request-ID': 'trace-quick-1' } });
    expect(res.status).toBe(200);
    const [line] = await eventually(async () =>
      linesOf('trace-quick-1').length > 0 ? linesOf('trace-quick-1') : undefined,
    );
    expect(line).toMatchObject({
      'log.level': 'info',
      message: 'quick request',
      'ecs.version': expect.stringMatching(/^\d+\.\d+/),
      service: { name: 'logging-test' },
    });
    expect(new Date(line!['@timestamp']).toISOString()).toBe(line!['@timestamp']);
  });

  it('when the caller sends no id, then the lines carry the one generated and echoed in the response', async () => {
    const res = await http('GET', `${app.baseUrl}/api/quick`);
    const id = res.headers.get('x-request-id') as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const mine = await eventually(async () => (linesOf(id).length > 0 ? linesOf(id) : undefined));
    expect(mine.map((l) => l.message)).toEqual(['quick request']);
  });

  it('when requests overlap, then every line of each carries its own id, across awaits', async () => {
    const slow = http('GET', `${app.baseUrl}/api/slow`, { headers: { 'X-Request-ID': 'trace-slow' } });
    await eventually(async () => (linesOf('trace-slow').length > 0 ? true : undefined));
    await http('GET', `${app.baseUrl}/api/quick`, { headers: { 'X-Request-ID': 'trace-between' } });
    releaseSlow();
    expect((await slow).status).toBe(200);
    await eventually(async () => (linesOf('trace-slow').length === 2 ? true : undefined));
    expect(linesOf('trace-slow').map((l) => l.message)).toEqual(['slow request started', 'slow request finishing']);
    expect(linesOf('trace-between').map((l) => l.message)).toEqual(['quick request']);
  });

  it('when a request fails unexpectedly, then its stack is logged under its id and never sent', async () => {
    const res = await http('GET', `${app.baseUrl}/api/explode`, { headers: { 'X-Request-ID': 'trace-boom' } });
    expect(res.status).toBe(500);
    expect(res.body.error.requestId).toBe('trace-boom');
    const sent = JSON.stringify(res.body);
    expect(sent).not.toContain('hunter2');
    expect(sent).not.toContain('    at ');

    const [line] = await eventually(async () => (linesOf('trace-boom').length > 0 ? linesOf('trace-boom') : undefined));
    expect(line).toMatchObject({ 'log.level': 'error', error: { type: 'Error' } });
    expect(line!.error?.message).toContain('hunter2');
    expect(line!.error?.stack_trace).toMatch(/^Error: secret internal detail[\s\S]*\n {4}at /);
  });

  it('when nothing is being served, then lines carry no request id', async () => {
    logger.info('between requests');
    const line = await eventually(async () => lines().find((l) => l.message === 'between requests'));
    expect(line.http).toBeUndefined();
  });

  it('when a line is logged inside a trace, then it carries the trace and the span (ECS trace.id, span.id); outside, neither', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = registerTracerProvider({ processor: new SimpleSpanProcessor(exporter) });
    try {
      await inSpan({ name: 'traced work', kind: SpanKind.INTERNAL }, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        logger.info('inside a trace');
      });
      logger.info('after the trace');
      await provider.forceFlush();
      const [span] = exporter.getFinishedSpans();
      const inside = await eventually(async () => lines().find((l) => l.message === 'inside a trace'));
      expect(inside).toMatchObject({
        trace: { id: span!.spanContext().traceId },
        span: { id: span!.spanContext().spanId },
      });
      const after = await eventually(async () => lines().find((l) => l.message === 'after the trace'));
      expect(after.trace).toBeUndefined();
      expect(after.span).toBeUndefined();
    } finally {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    }
  });
});
