import { appendToOutbox, createEvent, type DeliveryEvent, type Queryable } from '@foodflow/platform';
import type { SteppedDelivery } from './delivery.repository.js';

/** The LISTEN/NOTIFY channel of this service's outbox. */
export const OUTBOX_CHANNEL = 'deliveries_outbox';

/**
 * Announces a delivery step (`delivery.assigned|picked_up|delivered`) in the transaction that made it, in
 * the order's trace.
 */
export async function announce(
  client: Queryable,
  step: 'assigned' | 'picked_up' | 'delivered',
  delivery: SteppedDelivery,
  correlationId: string | null | undefined,
): Promise<void> {
  const data: DeliveryEvent = { deliveryId: delivery.id, orderId: delivery.orderId, driverId: delivery.driverId! };
  await appendToOutbox(
    client,
    { channel: OUTBOX_CHANNEL, trace: delivery.orderTrace },
    createEvent(`delivery.${step}`, data, correlationId),
  );
}
