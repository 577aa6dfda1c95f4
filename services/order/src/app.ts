import type { Express } from 'express';
import {
  type Broker,
  createHttpApp,
  type Database,
  every,
  infrastructureChecks,
  type Logger,
  type Metrics,
  OutboxRelay,
  type Redis,
  requireAuth,
  TokenVerifier,
} from '@foodflow/platform';
import { CartRepository } from './cart/cart.repository.js';
import { cartRoutes } from './cart/cart.routes.js';
import { CartService } from './cart/cart.service.js';
import type { OrderServiceConfig } from './config.js';
import { createDeliveryEventsConsumer } from './delivery-events/delivery-events.consumer.js';
import { IdempotencyLeases } from './idempotency/idempotency-lease.js';
import { IdempotencyGuard } from './idempotency/idempotency.js';
import { cleanUp } from './maintenance/cleanup.js';
import { CheckoutService } from './orders/checkout.service.js';
import { ORDERS_OUTBOX_CHANNEL } from './orders/order-events.js';
import { createOrderMetrics } from './orders/order-metrics.js';
import { toOrderResponse } from './orders/order.mapper.js';
import type { Order } from './orders/order.repository.js';
import { internalOrderRoutes, orderRoutes } from './orders/order.routes.js';
import { OrderService } from './orders/order.service.js';
import type { PaymentProvider } from './payments/payment-provider.js';
import { PaymentService } from './payments/payment.service.js';
import { TestPaymentProvider } from './payments/test-payment-provider.js';
import { RestaurantClient } from './peers/restaurant.client.js';
import { UserClient } from './peers/user.client.js';

/**
 * Checkouts wake the relay one by one; publishing what has gathered at most this often turns a steady
 * stream of orders into batches of several events (a few database round trips and one confirm wait each),
 * well within the lag the events' consumers can live with.
 */
const OUTBOX_BATCH_INTERVAL_MS = 25;

export interface AppDeps {
  config: OrderServiceConfig;
  logger: Logger;
  metrics: Metrics;
  db: Database;
  redis: Redis;
  broker: Broker;
  /** The card network; the built-in test provider unless another is given. */
  paymentProvider?: PaymentProvider;
  /** Backoff of the delivery-events consumer's retries (tests shorten it). */
  consumerRetryDelaysMs?: number[];
}

export interface OrderApp {
  app: Express;
  /** Starts the background work: the outbox relay, the delivery-events consumer and the cleanup job. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createApp(deps: AppDeps): OrderApp {
  const { config, logger, metrics, db, redis, broker } = deps;
  const peer = {
    secret: config.internal.secret,
    timeoutMs: config.internal.timeoutMs,
    resetMs: config.internal.breakerResetMs,
    logger,
  };
  const restaurants = new RestaurantClient({ ...peer, baseUrl: config.extra.restaurantServiceUrl });
  const users = new UserClient({ ...peer, baseUrl: config.extra.userServiceUrl });
  const carts = new CartRepository(redis, config.extra.cartTtlSeconds);
  const payments = new PaymentService(deps.paymentProvider ?? new TestPaymentProvider());
  const orderMetrics = createOrderMetrics(metrics);

  const relay = new OutboxRelay({
    db,
    broker,
    logger,
    metrics,
    channel: ORDERS_OUTBOX_CHANNEL,
    batchIntervalMs: OUTBOX_BATCH_INTERVAL_MS,
  });
  const orders = new OrderService({ db, payments, metrics: orderMetrics, logger });
  const checkout = new CheckoutService({
    db,
    carts,
    restaurants,
    users,
    payments,
    metrics: orderMetrics,
    logger,
    outbox: relay,
  });
  const idempotency = new IdempotencyGuard(db, new IdempotencyLeases(redis), logger, (order: Order) => ({
    status: 201,
    body: toOrderResponse(order),
  }));
  const authenticate = requireAuth(new TokenVerifier({ ...config.auth, redis }));

  const app = createHttpApp({
    logger,
    metrics,
    title: 'Food Flow order service',
    health: infrastructureChecks({ db, redis, broker }),
    routes: (http) => {
      http.use(cartRoutes(new CartService(carts, restaurants), authenticate));
      http.use(orderRoutes({ orders, checkout, idempotency, authenticate }));
      http.use(internalOrderRoutes(orders, { secret: config.internal.secret, self: config.service }));
    },
  });

  const consumer = createDeliveryEventsConsumer({
    broker,
    db,
    logger,
    metrics,
    orders,
    ...(deps.consumerRetryDelaysMs ? { retryDelaysMs: deps.consumerRetryDelaysMs } : {}),
  });
  let cleanup: { stop: () => Promise<void> } | undefined;

  return {
    app,
    async start() {
      await relay.start();
      await consumer.start();
      cleanup = every(
        'cleanup',
        config.extra.cleanupIntervalMs,
        () =>
          cleanUp(db, logger, {
            outboxHours: config.extra.outboxRetentionHours,
            inboxHours: config.extra.inboxRetentionHours,
          }),
        logger,
      );
    },
    async stop() {
      await cleanup?.stop();
      await consumer.stop();
      await relay.stop();
      restaurants.close();
      users.close();
    },
  };
}
