import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

/**
 * The platform's own spans: where no instrumentation can see the work (an event written in one
 * transaction and published later by the relay, consumed by another process, pushed to sockets). With no
 * tracer provider registered (tracing off) every call here is the API's no-op: no span is recorded and no
 * context is carried.
 */
const tracer = trace.getTracer('@foodflow/platform');

/** W3C trace context headers (`traceparent`, `tracestate`), as they travel with an event. */
export type TraceCarrier = Record<string, string>;

export { SpanKind };

/** The current trace context as headers, or null when there is no trace to continue (tracing off). */
export function currentTraceCarrier(): TraceCarrier | null {
  const carrier: TraceCarrier = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length > 0 ? carrier : null;
}

/**
 * The context `carrier` describes, for work that continues its trace. AMQP headers arrive as strings or
 * as buffers (long strings), and may be missing or foreign: anything unreadable starts no trace of its own.
 */
export function contextFrom(carrier: Record<string, unknown> | null | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier, {
    keys: (headers) => Object.keys(headers),
    get: (headers, key) => {
      const value = headers[key];
      if (typeof value === 'string') return value;
      return Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
    },
  });
}

/** A link to the span `carrier` describes, or none when it describes none. */
export function linksTo(carrier: Record<string, unknown> | null | undefined): Link[] {
  const linked = trace.getSpanContext(contextFrom(carrier));
  return linked && trace.isSpanContextValid(linked) ? [{ context: linked }] : [];
}

/** Where an event written now goes in the traces: the context its publishing continues, and what caused it. */
export interface EventTrace {
  parent: TraceCarrier | null;
  /** The span that caused the event when it is in another trace than `parent`, linked from the publishing. */
  cause: TraceCarrier | null;
}

/**
 * The trace of an event about a long-running workflow (an order, from its checkout to its delivery): the
 * workflow's own trace, `workflow` (the context it kept from its start), so everything the event causes
 * descends from that start. The request or message that caused it keeps its own trace; the two are linked
 * both ways: the publishing links to the cause (through `cause`), and the cause's span, active now, links to
 * the workflow. Work already inside the workflow's trace (a consumer of its events) simply continues; a
 * workflow that kept no context (started before it was kept, or untraced) leaves the event where it is written.
 */
export function eventTrace(workflow: TraceCarrier | null | undefined): EventTrace {
  const current = currentTraceCarrier();
  const [own] = linksTo(workflow);
  if (!own || !workflow) return { parent: current, cause: null };
  const active = trace.getActiveSpan();
  const cause = active?.spanContext();
  if (!active || !cause || !trace.isSpanContextValid(cause)) return { parent: workflow, cause: null };
  if (cause.traceId === own.context.traceId) return { parent: current, cause: null };
  active.addLink(own);
  return { parent: workflow, cause: current };
}

/** Runs `work` outside any trace: background work that a request merely woke must not join its trace. */
export const outsideTrace = <T>(work: () => T): T => context.with(ROOT_CONTEXT, work);

export interface SpanSpec {
  name: string;
  kind: SpanKind;
  attributes?: Attributes;
  /** The context the span continues; the active one when omitted. */
  parent?: Context;
  /** Spans of other traces this one follows from (or leads to). */
  links?: Link[];
}

const failed = (span: Span, err: unknown): void => {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
};

/** Marks the active span failed with `err`, for a failure that is handled rather than thrown on. */
export function recordFailure(err: unknown): void {
  const span = trace.getActiveSpan();
  if (span) failed(span, err);
}

/** Runs `work` inside a new span (active for everything it starts), ended when the work settles. */
export function inSpan<T>(spec: SpanSpec, work: () => Promise<T>): Promise<T> {
  const options = { kind: spec.kind, attributes: spec.attributes, links: spec.links };
  return tracer.startActiveSpan(spec.name, options, spec.parent ?? context.active(), async (span) => {
    try {
      return await work();
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Like `inSpan`, for work that is done when it returns (an emit). */
export function inSpanSync<T>(spec: SpanSpec, work: () => T): T {
  const options = { kind: spec.kind, attributes: spec.attributes };
  return tracer.startActiveSpan(spec.name, options, spec.parent ?? context.active(), (span) => {
    try {
      return work();
    } catch (err) {
      failed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Ids of the span active now, for log lines; undefined outside any recorded trace. */
export function activeSpanIds(): { traceId: string; spanId: string } | undefined {
  const ids = trace.getActiveSpan()?.spanContext();
  return ids && trace.isSpanContextValid(ids) ? { traceId: ids.traceId, spanId: ids.spanId } : undefined;
}
