import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http } from '@foodflow/platform/testing';
import { type ProcessName, startStack, type Stack } from './stack.js';
import { CITY, connectSocket, openRestaurant, placeOrder, register, saveAddress, setStatus } from './support.js';
import { type CollectedSpan, SPAN_KIND, startTraceCollector, type TraceCollector } from './trace-collector.js';

/**
 * Tracing across the whole stack: every process runs as in production, started with its tracing, and
 * exports its spans over OTLP/HTTP to a receiver in this test, as it would to Jaeger. One checkout must
 * come back as one trace, each span's parent among the others, from the gateway to the socket push; and
 * one order, from its checkout to its delivery, as one trace too, linked to the requests that moved it.
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

/** The path a gateway span served. */
const pathOf = (span: CollectedSpan): unknown => span.attributes['http.target'] ?? span.attributes['url.path'];

/** The services that consume each event of an order's life, by how many consumers receive it. */
const CONSUMERS: Record<string, number> = {
  'order.created': 2,
  'order.confirmed': 1,
  'order.preparing': 1,
  'order.ready': 2,
  'delivery.assigned': 2,
  'delivery.picked_up': 2,
  'order.picked_up': 1,
  'delivery.delivered': 2,
  'order.delivered': 1,
};

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

  it("when an order goes from checkout to its delivery, then every event, its handling and the status pushes are the checkout's trace, and the owner's and driver's requests are traces of their own linked both ways", async () => {
    const api = stack.gatewayUrl;
    const [owner, customer, driver] = await Promise.all([
      register(api, 'restaurant_owner'),
      register(api, 'customer'),
      register(api, 'driver'),
    ]);
    const { itemIds } = await openRestaurant(api, owner);
    const addressId = await saveAddress(api, customer);
    // Online before the order is ready, so the delivery is assigned while its readiness is handled.
    const online = await http('PUT', `${api}/api/drivers/availability`, {
      token: driver.token,
      body: { online: true, location: { lat: CITY.lat + 0.001, lng: CITY.lng } },
    });
    expect(online.status).toBe(200);

    // The checkout continues a trace of the test's own, so the order's trace is known before it exists.
    const orderTrace = randomBytes(16).toString('hex');
    const caller = randomBytes(8).toString('hex');
    const order = await placeOrder(api, customer, addressId, itemIds, { traceparent: `00-${orderTrace}-${caller}-01` });
    const tracker = await connectSocket(api, customer.token);
    const pushed = (status: string) =>
      eventually(async () => tracker.received.find((m) => m.event === 'status_change' && m.payload.status === status));
    expect(await tracker.socket.timeout(5000).emitWithAck('track', { orderId: order.id })).toMatchObject({ ok: true });
    for (const status of ['confirmed', 'preparing', 'ready']) {
      expect((await setStatus(api, owner, order.id, status)).status).toBe(200);
    }
    const deliveryId: string = (await pushed('assigned')).payload.deliveryId;
    for (const status of ['picked_up', 'delivered']) {
      const moved = await http('PUT', `${api}/api/deliveries/${deliveryId}/status`, {
        token: driver.token,
        body: { status },
      });
      expect(moved.status).toBe(200);
      await pushed(status);
    }

    // Everything has arrived once each event's publishing and every handling of it has, and so has each
    // request the publishing links to, whose gateway span ends last.
    const published = (spans: CollectedSpan[]) =>
      Object.keys(CONSUMERS).map((type) =>
        spans.find((s) => s.name === `publish ${type}` && (type !== 'order.created' || s.traceId === orderTrace)),
      );
    const handlings = (publish: CollectedSpan, spans: CollectedSpan[]) =>
      spans.filter(
        (s) =>
          s.name === `process ${publish.attributes['messaging.rabbitmq.destination.routing_key']}` &&
          s.attributes['messaging.message.id'] === publish.attributes['messaging.message.id'],
      );
    const gatewayRoot = (traceId: string) =>
      collector.trace(traceId).find((s) => s.service === 'gateway' && s.kind === SPAN_KIND.server && !s.parentSpanId);
    const publishes = await eventually(async () => {
      const spans = collector.spans();
      const found = published(spans);
      const complete = found.every(
        (publish) =>
          publish &&
          handlings(publish, spans).length ===
            CONSUMERS[String(publish.attributes['messaging.rabbitmq.destination.routing_key'])] &&
          publish.links.every((link) => gatewayRoot(link.traceId)),
      );
      return complete ? (found as CollectedSpan[]) : undefined;
    }, 20_000);

    const spans = collector.trace(orderTrace);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    // One connected trace: the only span whose parent is not in it is the checkout, continuing the test's.
    expect(spans.filter((span) => !byId.has(span.parentSpanId ?? ''))).toMatchObject([
      { service: 'gateway', kind: SPAN_KIND.server, parentSpanId: caller },
    ]);
    const underCheckout = (span: CollectedSpan) =>
      ancestry(span, byId).some(
        (s) => s.service === 'order-service' && s.kind === SPAN_KIND.server && s.name.startsWith('POST'),
      );

    for (const publish of publishes) {
      const type = String(publish.attributes['messaging.rabbitmq.destination.routing_key']);
      expect(publish.traceId, type).toBe(orderTrace);
      expect(underCheckout(publish), type).toBe(true);
      for (const handling of handlings(publish, collector.spans())) {
        expect(handling, type).toMatchObject({ traceId: orderTrace, parentSpanId: publish.spanId });
      }
    }

    // Each status the hub pushes is pushed while its event is handled, in the trace.
    const hubHandling = (type: string) =>
      spans.find(
        (s) => s.name === `process ${type}` && s.attributes['messaging.destination.name'] === 'notification_queue',
      );
    for (const type of [
      'order.created',
      'order.confirmed',
      'order.preparing',
      'order.ready',
      'delivery.assigned',
      'order.picked_up',
      'order.delivered',
    ]) {
      const handling = hubHandling(type);
      expect(
        spans.some((s) => s.name === 'emit status_change' && s.parentSpanId === handling?.spanId),
        type,
      ).toBe(true);
    }

    // The steps people made are requests of their own traces, linked both ways with the order's.
    const requestsBy = {
      'order.confirmed': `/api/orders/${order.id}/status`,
      'order.preparing': `/api/orders/${order.id}/status`,
      'order.ready': `/api/orders/${order.id}/status`,
      'delivery.picked_up': `/api/deliveries/${deliveryId}/status`,
      'delivery.delivered': `/api/deliveries/${deliveryId}/status`,
    };
    for (const [type, path] of Object.entries(requestsBy)) {
      const publish = publishes.find((p) => p.name === `publish ${type}`)!;
      expect(publish.links, type).toHaveLength(1);
      const [link] = publish.links;
      expect(link!.traceId, type).not.toBe(orderTrace);
      const cause = collector.trace(link!.traceId).find((s) => s.spanId === link!.spanId);
      expect(cause?.links, type).toEqual([{ traceId: orderTrace, spanId: publish.parentSpanId }]);
      expect(pathOf(gatewayRoot(link!.traceId)!), type).toBe(path);
    }
    // What the events caused, rather than people, has no link.
    for (const type of ['order.created', 'delivery.assigned', 'order.picked_up', 'order.delivered']) {
      expect(publishes.find((p) => p.name === `publish ${type}`)?.links, type).toEqual([]);
    }

    // The payment is captured while the order service handles the delivery, in the order's trace.
    const capture = spans.find(
      (s) =>
        s.service === 'order-service' &&
        String(s.attributes['db.query.text'] ?? s.attributes['db.statement']).startsWith('UPDATE payments'),
    );
    expect(capture && ancestry(capture, byId).map((s) => s.name)).toContain('process delivery.delivered');

    tracker.socket.disconnect();
  });
});
