import {
  type Broker,
  type Database,
  EventConsumer,
  type EventEnvelope,
  type Logger,
  type Metrics,
  type PoolClient,
  validateValue,
} from '@foodflow/platform';
import type { OrderCopyRepository } from '../orders/order-copy.repository.js';
import { orderRefSchema, orderReadySchema } from '../orders/order-events.schemas.js';
import type { AssignmentService } from './assignment.service.js';
import type { DeliveryMetrics } from './delivery-metrics.js';
import type { DeliveryRepository } from './delivery.repository.js';

export const DELIVERY_QUEUE = 'delivery_queue';

export interface AssignmentConsumerDeps {
  broker: Broker;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  deliveryMetrics: DeliveryMetrics;
  deliveries: DeliveryRepository;
  orders: OrderCopyRepository;
  assignment: AssignmentService;
}

/**
 * `delivery_queue`: an order ready for pickup gets a delivery and, if one is free nearby, a driver;
 * a cancelled order's delivery is cancelled and its driver freed for the next waiting delivery.
 */
export function createAssignmentConsumer(deps: AssignmentConsumerDeps): EventConsumer {
  const { db, deliveries, orders, assignment, logger } = deps;

  const handle = async (event: EventEnvelope, client: PoolClient): Promise<void> => {
    // Both steps first write the order's copy (which only moves forward). That locks its row, so a
    // readiness and a cancellation of one order, handled at once or in either order, run one after the
    // other: whichever comes second sees the first, and a cancelled order never gets a driver.
    if (event.type === 'order.ready') {
      const order = validateValue(orderReadySchema, event.data);
      await orders.recordStatus(client, order, 'ready');
      if ((await orders.find(client, order.orderId))?.status === 'cancelled') return;
      const delivery = await deliveries.createAwaiting(client, order);
      if (delivery) await assignment.assignNearest(client, delivery, event.correlationId);
    } else if (event.type === 'order.cancelled') {
      const order = validateValue(orderRefSchema, event.data);
      await orders.recordStatus(client, order, 'cancelled');
      await deliveries.cancelForOrder(client, order.orderId);
    }
  };

  // Side effects after the commit: metrics for what was assigned, and the freed driver's next delivery.
  const afterCommit = async (event: EventEnvelope): Promise<void> => {
    const orderId = (event.data as { orderId: string }).orderId;
    try {
      const delivery = await deliveries.findByOrder(db, orderId);
      if (event.type === 'order.ready' && delivery?.status === 'assigned') deps.deliveryMetrics.assigned(delivery);
      if (event.type === 'order.cancelled' && delivery?.driverId) {
        await assignment.assignWaitingTo(delivery.driverId, event.correlationId);
      }
    } catch (err) {
      // The periodic sweep hands out anything this left waiting.
      logger.warn(`Follow-up of ${event.type} failed`, { err, event: { id: event.id } });
    }
  };

  return new EventConsumer({
    broker: deps.broker,
    db,
    logger,
    metrics: deps.metrics,
    queue: DELIVERY_QUEUE,
    bindings: ['order.ready', 'order.cancelled'],
    inboxConsumer: DELIVERY_QUEUE,
    handle,
    afterCommit,
  });
}
