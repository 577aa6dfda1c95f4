import {
  type Broker,
  type Database,
  EventConsumer,
  type EventEnvelope,
  type Logger,
  type Metrics,
  type OrderStatus,
  type PoolClient,
  validateValue,
} from '@foodflow/platform';
import type { DeliveryRepository } from '../deliveries/delivery.repository.js';
import { deliveryEventSchema, orderRefSchema, orderWithDriverSchema } from '../orders/order-events.schemas.js';
import type { OrderCopyRepository } from '../orders/order-copy.repository.js';
import type { Realtime } from '../realtime/realtime.js';
import { recipients } from './notification-messages.js';

export const NOTIFICATION_QUEUE = 'notification_queue';

/** The order status each order event announces. */
const STATUS_OF: Record<string, OrderStatus> = {
  'order.created': 'pending',
  'order.confirmed': 'confirmed',
  'order.preparing': 'preparing',
  'order.ready': 'ready',
  'order.picked_up': 'picked_up',
  'order.delivered': 'delivered',
  'order.cancelled': 'cancelled',
};

export interface NotificationHubDeps {
  broker: Broker;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  orders: OrderCopyRepository;
  deliveries: DeliveryRepository;
  realtime: Realtime;
}

/**
 * `notification_queue`: the real-time hub. It keeps this service's copy of every order up to date in the
 * event's transaction and, once that has committed, pushes `status_change` to the order's room and a
 * `notification` to each person concerned.
 */
export function createNotificationHub(deps: NotificationHubDeps): EventConsumer {
  const { db, orders, deliveries, realtime, logger } = deps;
  /**
   * Status events found current inside their own transaction, by event id, until announced. Decided
   * there rather than after the commit, when a quicker next status may already have overtaken the copy:
   * each status the order went through is announced, and only a late one (already overtaken when it
   * was applied) is not.
   */
  const current = new Set<string>();

  const handle = async (event: EventEnvelope, client: PoolClient): Promise<void> => {
    const status = STATUS_OF[event.type];
    if (status) {
      const order = validateValue(orderRefSchema, event.data);
      if (await orders.recordStatus(client, order, status)) current.add(event.id);
      else current.delete(event.id);
      if (status === 'picked_up' || status === 'delivered') {
        const { driverId } = validateValue(orderWithDriverSchema, event.data);
        await orders.recordDriver(client, order.orderId, driverId);
      }
    } else if (event.type === 'delivery.assigned') {
      const { orderId, driverId } = validateValue(deliveryEventSchema, event.data);
      await orders.recordDriver(client, orderId, driverId);
    } else if (event.type.startsWith('delivery.')) {
      validateValue(deliveryEventSchema, event.data);
    }
  };

  const afterCommit = async (event: EventEnvelope): Promise<void> => {
    const { orderId } = event.data as { orderId: string };
    try {
      const [order, delivery] = await Promise.all([orders.find(db, orderId), deliveries.findByOrder(db, orderId)]);
      if (!order) return;
      const at = event.occurredAt;
      const status = STATUS_OF[event.type];
      if (status && current.delete(event.id)) {
        realtime.statusChange({ orderId, deliveryId: delivery?.id ?? null, status, at });
      }
      if (event.type === 'delivery.assigned') {
        const { deliveryId } = event.data as { deliveryId: string };
        realtime.statusChange({ orderId, deliveryId, status: 'assigned', at });
      }
      for (const { userId, message } of recipients(event.type, order)) {
        realtime.notify(userId, { id: event.id, type: event.type, orderId, message, at });
      }
    } catch (err) {
      logger.warn(`Could not push ${event.type} to clients`, { err, event: { id: event.id } });
    }
  };

  return new EventConsumer({
    broker: deps.broker,
    db,
    logger,
    metrics: deps.metrics,
    queue: NOTIFICATION_QUEUE,
    bindings: ['order.*', 'delivery.*'],
    inboxConsumer: NOTIFICATION_QUEUE,
    handle,
    afterCommit,
  });
}
