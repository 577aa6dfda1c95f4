import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '@foodflow/platform/testing';
import { type ProcessName, startStack, type Stack } from './stack.js';
import { connectSocket, openRestaurant, placeOrder, register, saveAddress } from './support.js';
import { type CollectedSpan, SPAN_KIND, startTraceCollector, type TraceCollector } from './trace-collector.js';

/**
 * Tracing across the whole stack: every process runs as in production, started with its tracing, and
 * exports its spans over OTLP/HTTP to a receiver in this test, as it would to Jaeger. One checkout must
 * come back as one trace, each span's parent among the others, from the gateway to the socket push.
 */
let stack: Stack;
let collector: TraceCollector;

beforeAll(async () => {
  collector = await startTraceCollector();
  // Spans are exported a tenth of a second after they end rather than five seconds.
  const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100' };
  const names: ProcessName[] = ['user', 'restaurant', 'order', 'delivery', 'gateway'];
  stack = await startStack(Object.fromEntries(names.map((name) => [name, tracing])));
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await collector?.close();
});

/** The spans from `span` up to the trace's first, through each parent. */
function ancestry(span: CollectedSpan, byId: Map<string, CollectedSpan>): CollectedSpan[] {
  const chain = [span];
  for (let parent = byId.get(span.parentSpanId ?? ''); parent; parent = byId.get(parent.parentSpanId ?? '')) {
    chain.push(parent);
  }
  return chain;
}

describe('tracing', () => {
  it('when a customer checks out, then gateway, order, PostgreSQL, Redis, outbox, broker, consumers and the push to the owner are one connected trace', async () => {
    const api = stack.gatewayUrl;
    const [owner, customer] = await Promise.all([register(api, 'restaurant_owner'), register(api, 'customer')]);
    const { itemIds } = await openRestaurant(api, owner);
    const addressId = await saveAddress(api, customer);
    const ownerSocket = await connectSocket(api, owner.token);

    const order = await placeOrder(api, customer, addressId, itemIds);
    await eventually(async () =>
      ownerSocket.received.find((m) => m.event === 'notification' && m.payload.orderId === order.id),
    );

    const find = (spans: CollectedSpan[], service: string, test: (span: CollectedSpan) => boolean) =>
      spans.find((span) => span.service === service && test(span));
    // The checkout as the gateway received it starts the trace.
    const isCheckout = (span: CollectedSpan) =>
      span.kind === SPAN_KIND.server &&
      span.name.startsWith('POST') &&
      (span.attributes['http.target'] ?? span.attributes['url.path']) === '/api/orders';
    // Each process exports its spans on its own schedule; a span ends after every span under it, so once
    // the last to end in each process has arrived, so has the rest of the trace.
    const lastToEnd: [string, (span: CollectedSpan) => boolean][] = [
      ['order-service', (s) => s.kind === SPAN_KIND.server],
      ['order-service', (s) => s.name === 'publish order.created'],
      ['user-service', (s) => s.kind === SPAN_KIND.server],
      ['restaurant-service', (s) => s.kind === SPAN_KIND.server],
      ['restaurant-service', (s) => s.name === 'process order.created'],
      ['delivery-service', (s) => s.name === 'process order.created'],
    ];
    const spans = await eventually(async () => {
      const checkout = find(collector.spans(), 'gateway', isCheckout);
      const received = checkout ? collector.trace(checkout.traceId) : [];
      return lastToEnd.every(([service, test]) => find(received, service, test)) ? received : undefined;
    }, 15_000);

    // Connected: every span's parent is another span of the trace, but the first: the gateway's.
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const first = spans.filter((span) => span.parentSpanId === undefined);
    expect(first).toMatchObject([{ service: 'gateway', kind: SPAN_KIND.server }]);
    expect(isCheckout(first[0]!)).toBe(true);
    const orphans = spans.filter((span) => span.parentSpanId !== undefined && !byId.has(span.parentSpanId));
    expect(orphans).toEqual([]);

    // The push to the owner descends, through the delivery service's handling of the event and its
    // publishing by the order service's relay, from the checkout the gateway received.
    const push = find(spans, 'delivery-service', (s) => s.name === 'emit notification');
    expect(push).toMatchObject({ kind: SPAN_KIND.producer, attributes: { 'messaging.system': 'socket.io' } });
    const path = ancestry(push!, byId);
    const step = (service: string, name: string, kind: number) =>
      path.findIndex((s) => s.service === service && s.name.startsWith(name) && s.kind === kind);
    const steps = [
      step('delivery-service', 'emit notification', SPAN_KIND.producer),
      step('delivery-service', 'process order.created', SPAN_KIND.consumer),
      step('order-service', 'publish order.created', SPAN_KIND.producer),
      step('order-service', 'POST', SPAN_KIND.server),
      step('gateway', 'POST', SPAN_KIND.client),
      step('gateway', 'POST', SPAN_KIND.server),
    ];
    expect(steps.every((index) => index >= 0)).toBe(true);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(path.at(-1)).toBe(first[0]);

    // Along the way: the checkout's SQL and Redis commands, its calls to the restaurant and user
    // services, and the other consumer of the event.
    const scoped = (service: string, scope: string) => spans.filter((s) => s.service === service && s.scope === scope);
    expect(scoped('order-service', '@opentelemetry/instrumentation-pg').length).toBeGreaterThan(0);
    expect(scoped('order-service', '@opentelemetry/instrumentation-ioredis').length).toBeGreaterThan(0);
    expect(scoped('delivery-service', '@opentelemetry/instrumentation-pg').length).toBeGreaterThan(0);
    for (const service of ['restaurant-service', 'user-service']) {
      const called = find(spans, service, (s) => s.kind === SPAN_KIND.server);
      expect(called?.name, service).toContain(' /internal/');
      expect(byId.get(called?.parentSpanId ?? '')).toMatchObject({ service: 'order-service', kind: SPAN_KIND.client });
    }
    expect(find(spans, 'restaurant-service', (s) => s.name === 'process order.created')).toMatchObject({
      kind: SPAN_KIND.consumer,
      attributes: { 'messaging.system': 'rabbitmq', 'messaging.message.id': expect.any(String) },
    });

    ownerSocket.socket.disconnect();
  });
});
