import { context, propagation, type SpanContext, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contextFrom,
  createEvent,
  currentTraceCarrier,
  type EventData,
  type EventType,
  inSpan,
  ORDERS_EXCHANGE,
  SpanKind,
  type TraceCarrier,
} from '@foodflow/platform';
import { eventually } from '@foodflow/platform/testing';
import { registerTracerProvider } from '../../../packages/platform/src/tracing/tracer-provider.js';
import { DriverPresence } from '../src/drivers/driver-presence.js';
import { eastOf, type Instance, orderRef, startInstance, uniqueArea, user, World } from './support.js';

/**
 * The order's trace through this service, with its spans recorded in memory: the copy of an order keeps the
 * trace its first event came in, and the delivery's events continue it, whatever made the step.
 */
const exporter = new InMemorySpanExporter();
let provider: NodeTracerProvider;
let instance: Instance;
let world: World;

beforeAll(async () => {
  provider = registerTracerProvider({ processor: new SimpleSpanProcessor(exporter) });
  instance = await startInstance();
  world = await new World().open();
});

afterAll(async () => {
  await instance?.close();
  await world?.close();
  await provider?.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

const spanNamed = (name: string) => exporter.getFinishedSpans().filter((span) => span.name === name);
const ids = (of: SpanContext | undefined) => of && { traceId: of.traceId, spanId: of.spanId };

/** Publishes an event about the order as the order service's relay does, its trace in the headers. */
async function publishInTrace<T extends EventType>(type: T, data: EventData[T], carrier: TraceCarrier): Promise<void> {
  const event = createEvent(type, data, null);
  world.channel.publish(ORDERS_EXCHANGE, type, Buffer.from(JSON.stringify(event)), {
    persistent: true,
    contentType: 'application/json',
    messageId: event.id,
    type,
    headers: carrier,
  });
  await world.channel.waitForConfirms();
}

describe("the order's trace", () => {
  it("when the sweep hands a waiting delivery to a driver and the driver picks it up, then both events continue the order's trace, the sweep's own trace linked both ways", async () => {
    const area = await uniqueArea();
    const ref = orderRef();
    let carrier: TraceCarrier | null = null;
    await inSpan({ name: 'checkout', kind: SpanKind.SERVER }, async () => {
      carrier = currentTraceCarrier();
    });
    const orderTrace = trace.getSpanContext(contextFrom(carrier))!.traceId;
    const address = { label: 'Home', street: '1 Main St', city: 'Town', postalCode: '1000', location: area };
    await publishInTrace(
      'order.created',
      { ...ref, items: [], totalCents: 1200, currency: 'USD', deliveryAddress: address },
      carrier!,
    );
    await publishInTrace('order.ready', { ...ref, pickup: area, dropoff: eastOf(area, 2) }, carrier!);
    const copy = await eventually(async () => {
      const { rows } = await world.db.query<{ trace_context: TraceCarrier | null }>(
        `SELECT o.trace_context FROM orders o
           JOIN deliveries d ON d.order_id = o.id AND d.status = 'awaiting_driver'
          WHERE o.id = $1`,
        [ref.orderId],
      );
      return rows[0];
    });
    expect(trace.getSpanContext(contextFrom(copy.trace_context))?.traceId).toBe(orderTrace);

    // Online without asking for work, as a driver whose request reached another instance: the sweep finds them.
    const driver = user('driver');
    const presence = new DriverPresence(world.redis, 600);
    await presence.goOnline({ id: driver.id, firstName: 'Swept' }, eastOf(area, 1));
    try {
      const [assigned] = await eventually(async () => {
        const found = spanNamed('publish delivery.assigned');
        return found.length > 0 ? found : undefined;
      }, 10_000);
      const [sweep] = spanNamed('sweep waiting deliveries');
      const copied = trace.getSpanContext(contextFrom(copy.trace_context));
      expect(ids(assigned?.parentSpanContext)).toEqual(ids(copied));
      expect(assigned?.links.map((link) => ids(link.context))).toEqual([ids(sweep?.spanContext())]);
      expect(sweep?.spanContext().traceId).not.toBe(orderTrace);
      expect(sweep?.links.map((link) => ids(link.context))).toEqual([ids(copied)]);

      const deliveryId = (await world.delivery(ref.orderId))!.id;
      const res = await fetch(`${instance.baseUrl}/api/deliveries/${deliveryId}/status`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${driver.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'picked_up' }),
      });
      expect(res.status).toBe(200);
      const [pickedUp] = await eventually(async () => {
        const found = spanNamed('publish delivery.picked_up');
        return found.length > 0 ? found : undefined;
      });
      expect(ids(pickedUp?.parentSpanContext)).toEqual(ids(copied));
    } finally {
      await presence.goOffline(driver.id);
      await world.db.query('DELETE FROM deliveries WHERE order_id = $1', [ref.orderId]);
      await world.db.query('DELETE FROM orders WHERE id = $1', [ref.orderId]);
    }
  });
});
