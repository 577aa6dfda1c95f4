import Joi from 'joi';
import {
  type Broker,
  type Database,
  EventConsumer,
  type Logger,
  type Metrics,
  type OrderCreated,
  validateValue,
} from '@foodflow/platform';
import type { RestaurantRepository } from '../restaurants/restaurant.repository.js';
import type { RestaurantService } from '../restaurants/restaurant.service.js';

export const ORDER_CREATED_QUEUE = 'restaurant.order-created';

// Only the field this consumer needs is required; the rest of the event is the order service's business.
const orderCreatedSchema = Joi.object<Pick<OrderCreated, 'restaurantId'>>({
  restaurantId: Joi.string().guid().required(),
}).unknown(true);

/**
 * Counts every order placed at a restaurant (behind `sort=popular`). The platform consumer records each
 * event id in the inbox in the same transaction as the count, so a redelivered event counts once, and
 * data that cannot be read parks in the dead-letter queue. Once the count has committed, the cached pages
 * sorted by popularity are invalidated (only those: a busy order stream leaves every other page cached).
 */
export function orderCreatedConsumer(deps: {
  broker: Broker;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  repository: RestaurantRepository;
  restaurants: RestaurantService;
}): EventConsumer<boolean> {
  const { broker, db, logger, metrics, repository, restaurants } = deps;
  return new EventConsumer({
    broker,
    db,
    logger,
    metrics,
    queue: ORDER_CREATED_QUEUE,
    bindings: ['order.created'],
    /** Whether the order was counted (its restaurant is known here). */
    handle: async (event, client) => {
      const { restaurantId } = validateValue(orderCreatedSchema, event.data);
      const counted = await repository.countOrder(client, restaurantId);
      if (!counted)
        logger.warn('order.created names a restaurant unknown here; not counted', { event: { id: event.id } });
      return counted;
    },
    afterCommit: (_event, counted) => (counted ? restaurants.orderCounted() : undefined),
  });
}
