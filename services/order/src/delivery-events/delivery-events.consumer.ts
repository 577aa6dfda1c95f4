import Joi from 'joi';
import {
  type Broker,
  type Database,
  type DeliveryEvent,
  EventConsumer,
  type EventEnvelope,
  type Logger,
  type Metrics,
  PoisonMessageError,
  type PoolClient,
} from '@foodflow/platform';
import type { DeliveryStep } from '../orders/order-status.js';
import type { OrderService } from '../orders/order.service.js';

/** This service's own durable queue for the delivery flow's events. */
export const DELIVERY_EVENTS_QUEUE = 'order.delivery-events';

const deliveryEventSchema = Joi.object<DeliveryEvent>({
  deliveryId: Joi.string().guid().required(),
  orderId: Joi.string().guid().required(),
  driverId: Joi.string().guid().required(),
}).unknown(true);

/**
 * Follows the delivery flow: `delivery.assigned` records the driver, `delivery.picked_up` and
 * `delivery.delivered` move the order. Events about orders this service does not know, or steps that no
 * longer fit the order (it was cancelled meanwhile), are logged and acknowledged: retrying cannot make
 * them apply. Data that does not match the contract is parked in the dead-letter queue.
 */
export function createDeliveryEventsConsumer(deps: {
  broker: Broker;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  orders: OrderService;
  retryDelaysMs?: number[];
}): EventConsumer<DeliveryStep | undefined> {
  const { orders, logger } = deps;

  /** Applies the event; the order step it made, counted once the transaction has committed. */
  const handle = async (event: EventEnvelope, client: PoolClient): Promise<DeliveryStep | undefined> => {
    const { value, error } = deliveryEventSchema.validate(event.data);
    if (error) throw new PoisonMessageError(`${event.type} data is invalid: ${error.message}`);
    const context = { event: { id: event.id, type: event.type }, order: { id: value.orderId } };
    switch (event.type) {
      case 'delivery.assigned':
        if (!(await orders.recordDriver(client, value))) {
          logger.warn('Driver assignment for an unknown or finished order ignored', context);
        }
        return;
      case 'delivery.picked_up':
      case 'delivery.delivered': {
        const step = event.type === 'delivery.picked_up' ? 'picked_up' : 'delivered';
        const outcome = await orders.applyDeliveryStep(client, step, value);
        if (outcome === 'applied') return step;
        logger.warn(`${event.type} ignored: ${outcome.replace('_', ' ')}`, context);
        return;
      }
      default:
        logger.info(`${event.type} is not an event this service acts on`, context);
    }
  };

  return new EventConsumer({
    broker: deps.broker,
    db: deps.db,
    logger,
    metrics: deps.metrics,
    queue: DELIVERY_EVENTS_QUEUE,
    bindings: ['delivery.*'],
    handle,
    afterCommit: (_event, step) => {
      if (step) orders.deliveryStepCommitted(step);
    },
    ...(deps.retryDelaysMs ? { retryDelaysMs: deps.retryDelaysMs } : {}),
  });
}
