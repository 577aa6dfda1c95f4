import {
  createEvent,
  currentRequestId,
  type EventData,
  type EventEnvelope,
  type OrderRef,
  type OrderStatus,
} from '@foodflow/platform';
import type { Order } from './order.repository.js';
import type { ChangedBy } from './order-status.js';

/** The LISTEN/NOTIFY channel that wakes this service's outbox relay. */
export const ORDERS_OUTBOX_CHANNEL = 'orders_outbox';

const ref = (order: Order): OrderRef => ({
  orderId: order.id,
  customerId: order.customerId,
  restaurantId: order.restaurantId,
  restaurantOwnerId: order.restaurantOwnerId,
});

/** Builds the event that announces an order reaching `status`, with the data the contract gives that type. */
export function statusEvent(
  order: Order,
  status: Exclude<OrderStatus, 'pending'> | 'created',
  change: { by: ChangedBy; reason?: string | null; driverId?: string },
): EventEnvelope {
  const event = <T extends keyof EventData>(type: T, data: EventData[T]): EventEnvelope<EventData[T]> =>
    createEvent(type, data, currentRequestId());
  switch (status) {
    case 'created':
      return event('order.created', {
        ...ref(order),
        items: order.items,
        totalCents: order.totalCents,
        currency: order.currency,
        deliveryAddress: order.deliveryAddress,
      });
    case 'confirmed':
    case 'preparing':
      return event(`order.${status}`, ref(order));
    case 'ready':
      return event('order.ready', {
        ...ref(order),
        pickup: order.pickupLocation,
        dropoff: order.deliveryAddress.location,
      });
    case 'cancelled':
      return event('order.cancelled', { ...ref(order), reason: change.reason ?? null, by: change.by });
    case 'picked_up':
    case 'delivered':
      if (!change.driverId) throw new Error(`order.${status} needs the driver who made the step`);
      return event(`order.${status}`, { ...ref(order), driverId: change.driverId });
  }
}
