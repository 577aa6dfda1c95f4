import { appendToOutbox, createEvent, type DeliveryEvent, type Queryable } from '@foodflow/platform';
import type { DeliveryRecord } from './delivery.repository.js';

/** The LISTEN/NOTIFY channel of this service's outbox. */
export const OUTBOX_CHANNEL = 'deliveries_outbox';

/** Announces a delivery step (`delivery.assigned|picked_up|delivered`) in the transaction that made it. */
export async function announce(
  client: Queryable,
  step: 'assigned' | 'picked_up' | 'delivered',
  delivery: DeliveryRecord,
  correlationId: string | null | undefined,
): Promise<void> {
  const data: DeliveryEvent = { deliveryId: delivery.id, orderId: delivery.orderId, driverId: delivery.driverId! };
  await appendToOutbox(client, OUTBOX_CHANNEL, createEvent(`delivery.${step}`, data, correlationId));
}
