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

export const ORDER_CREATED_QUEUE = 'restaurant.order-created';

// Only the field this consumer needs is required; the rest of the event is the order service's business.
const orderCreatedSchema = Joi.object<Pick<OrderCreated, 'restaurantId'>>({
  restaurantId: Joi.string().guid().required(),
}).unknown(true);

/**
 * Counts every order placed at a restaurant (behind `sort=popular`). The platform consumer records each
 * event id in the inbox in the same transaction as the count, so a redelivered event counts once, and
 * data that cannot be read parks in the dead-letter queue. The public list cache is not invalidated here:
 * popularity may trail by up to a minute, while a busy order stream does not empty the cache.
 */
export function orderCreatedConsumer(deps: {
  broker: Broker;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  restaurants: RestaurantRepository;
}): EventConsumer {
  const { restaurants, logger } = deps;
  return new EventConsumer({
    ...deps,
    queue: ORDER_CREATED_QUEUE,
    bindings: ['order.created'],
    handle: async (event, client) => {
      const { restaurantId } = validateValue(orderCreatedSchema, event.data);
      if (!(await restaurants.countOrder(client, restaurantId))) {
        logger.warn('order.created names a restaurant unknown here; not counted', { event: { id: event.id } });
      }
    },
  });
}
