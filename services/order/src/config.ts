import Joi from 'joi';
import { devDefault, type Env, loadServiceConfig } from '@foodflow/platform';

const SERVICE_NAME = 'order-service';

export interface OrderServiceExtra {
  userServiceUrl: string;
  restaurantServiceUrl: string;
  cartTtlSeconds: number;
  outboxRetentionHours: number;
  inboxRetentionHours: number;
  cleanupIntervalMs: number;
}

export function loadConfig(env: Env = process.env) {
  return loadServiceConfig<OrderServiceExtra>(
    {
      service: SERVICE_NAME,
      port: 3003,
      databaseRole: 'orders_service',
      broker: true,
      extra: {
        keys: {
          USER_SERVICE_URL: devDefault(Joi.string().uri({ scheme: ['http', 'https'] }), 'http://127.0.0.1:3001'),
          RESTAURANT_SERVICE_URL: devDefault(Joi.string().uri({ scheme: ['http', 'https'] }), 'http://127.0.0.1:3002'),
          CART_TTL_SECONDS: Joi.number()
            .integer()
            .min(60)
            .default(7 * 24 * 3600),
          OUTBOX_RETENTION_HOURS: Joi.number().integer().min(1).default(72),
          INBOX_RETENTION_HOURS: Joi.number().integer().min(1).default(168),
          CLEANUP_INTERVAL_MS: Joi.number().integer().min(1000).default(3_600_000),
        },
        map: (env) => ({
          userServiceUrl: env['USER_SERVICE_URL'] as string,
          restaurantServiceUrl: env['RESTAURANT_SERVICE_URL'] as string,
          cartTtlSeconds: env['CART_TTL_SECONDS'] as number,
          outboxRetentionHours: env['OUTBOX_RETENTION_HOURS'] as number,
          inboxRetentionHours: env['INBOX_RETENTION_HOURS'] as number,
          cleanupIntervalMs: env['CLEANUP_INTERVAL_MS'] as number,
        }),
      },
    },
    env,
  );
}

export type OrderServiceConfig = ReturnType<typeof loadConfig>;
