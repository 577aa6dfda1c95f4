import type { Express } from 'express';
import {
  type BaseConfig,
  type Broker,
  createHttpApp,
  type Database,
  infrastructureChecks,
  type Logger,
  type Metrics,
  type Redis,
  TokenVerifier,
} from '@foodflow/platform';
import { type Clock, PublicCache } from './cache/public-cache.js';
import { SERVICE_NAME, type RestaurantSettings } from './config.js';
import { MenuRepository } from './menus/menu.repository.js';
import { menuRoutes } from './menus/menu.routes.js';
import { MenuService } from './menus/menu.service.js';
import { orderCreatedConsumer } from './popularity/order-created.consumer.js';
import { pricingRoutes } from './pricing/pricing.routes.js';
import { PricingService } from './pricing/pricing.service.js';
import { RestaurantRepository } from './restaurants/restaurant.repository.js';
import { restaurantRoutes } from './restaurants/restaurant.routes.js';
import { RestaurantService } from './restaurants/restaurant.service.js';

export interface AppDeps {
  config: BaseConfig & { extra: RestaurantSettings };
  logger: Logger;
  metrics: Metrics;
  db: Database;
  redis: Redis;
  broker: Broker;
  /** The current time; replaceable so opening hours can be tested at a chosen moment. */
  clock?: Clock;
}

export function createApp(deps: AppDeps): { app: Express; start: () => Promise<void>; stop: () => Promise<void> } {
  const { config, logger, metrics, db, redis, broker } = deps;
  const clock = deps.clock ?? (() => new Date());
  const verifier = new TokenVerifier({ ...config.auth, redis });
  const cache = new PublicCache(redis, logger, clock, metrics);
  const restaurantRepository = new RestaurantRepository(db);
  const menuRepository = new MenuRepository(db);
  const restaurants = new RestaurantService(restaurantRepository, cache, config.extra.defaultTimeZone, clock);
  const menus = new MenuService(db, menuRepository, restaurantRepository, cache);
  const pricing = new PricingService(menuRepository, restaurantRepository, clock);
  const consumer = orderCreatedConsumer({ broker, db, logger, metrics, repository: restaurantRepository, restaurants });

  const app = createHttpApp({
    logger,
    metrics,
    health: infrastructureChecks({ db, redis, broker }),
    routes: (express) => {
      restaurantRoutes({ restaurants, menus, verifier }, express);
      express.use(menuRoutes({ menus, verifier }));
      express.use(pricingRoutes({ pricing, secret: config.internal.secret, self: SERVICE_NAME }));
    },
  });
  return {
    app,
    start: () => consumer.start(),
    stop: () => {
      cache.close();
      return consumer.stop();
    },
  };
}
