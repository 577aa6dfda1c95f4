import type { Server } from 'node:http';
import {
  type Broker,
  createHttpApp,
  createHttpServer,
  type Database,
  every,
  infrastructureChecks,
  type Logger,
  type Metrics,
  OutboxRelay,
  purgeInbox,
  purgePublishedOutbox,
  type Redis,
  type TokenVerifier,
} from '@foodflow/platform';
import type { Express } from 'express';
import type { DeliveryConfig } from './config.js';
import { createAssignmentConsumer } from './deliveries/assignment.consumer.js';
import { AssignmentService } from './deliveries/assignment.service.js';
import { OUTBOX_CHANNEL } from './deliveries/delivery-events.js';
import { createDeliveryMetrics } from './deliveries/delivery-metrics.js';
import { DeliveryRepository } from './deliveries/delivery.repository.js';
import { deliveryRoutes } from './deliveries/delivery.routes.js';
import { DeliveryService } from './deliveries/delivery.service.js';
import { DriverPresence } from './drivers/driver-presence.js';
import { driverRoutes } from './drivers/driver.routes.js';
import { DriverService } from './drivers/driver.service.js';
import { createNotificationHub } from './notifications/notification-hub.js';
import { OrderCopyRepository } from './orders/order-copy.repository.js';
import { OrderClient } from './orders/order.client.js';
import { Realtime } from './realtime/realtime.js';
import { closeRevokedSockets } from './realtime/revocations.js';
import { createSocketServer, type SocketServer } from './realtime/socket-server.js';
import { registerTrackingHandlers } from './tracking/tracking.socket.js';
import { trackingRoutes } from './tracking/tracking.routes.js';
import { TrackingService } from './tracking/tracking.service.js';

export interface AppDeps {
  config: Pick<DeliveryConfig, 'extra' | 'internal'>;
  logger: Logger;
  metrics: Metrics;
  db: Database;
  redis: Redis;
  /** A connection of the Socket.IO adapter's own (its stream reads block). */
  socketRedis: Redis;
  broker: Broker;
  verifier: TokenVerifier;
}

export interface DeliveryApp {
  app: Express;
  /** The HTTP server carrying both the REST API and Socket.IO; listen on this one. */
  server: Server;
  io: SocketServer;
  /** Starts consuming events, relaying the outbox and the periodic jobs. */
  start: () => Promise<void>;
  /** Disconnects this instance's sockets (they reconnect elsewhere and recover their state). */
  disconnectSockets: () => void;
  /** Stops everything `start` started and closes Socket.IO. */
  stop: () => Promise<void>;
}

export function createApp(deps: AppDeps): DeliveryApp {
  const { config, logger, metrics, db, redis, broker, verifier } = deps;
  const { extra } = config;

  const deliveries = new DeliveryRepository();
  const orders = new OrderCopyRepository();
  const presence = new DriverPresence(redis, extra.drivers.offlineAfterS);
  const deliveryMetrics = createDeliveryMetrics(metrics);
  const assignment = new AssignmentService({
    db,
    deliveries,
    presence,
    metrics: deliveryMetrics,
    logger,
    radiusKm: extra.assignment.radiusKm,
  });
  const orderService = new OrderClient({ ...config.internal, baseUrl: extra.orderServiceUrl, logger });
  const tracking = new TrackingService({
    db,
    orders,
    orderService,
    deliveries,
    averageSpeedKmh: extra.tracking.averageSpeedKmh,
  });

  // Socket.IO must attach first to claim its path; every other request goes on to the API built below.
  const server = createHttpServer((req, res) => app(req, res));
  const io = createSocketServer({
    server,
    verifier,
    redis: deps.socketRedis,
    logger,
    metrics,
    streamName: extra.sockets.streamName,
    recoveryWindowMs: extra.sockets.recoveryWindowMs,
  });
  const revocations = closeRevokedSockets(io, deps.socketRedis.duplicate(), logger);
  const realtime = new Realtime(io);
  registerTrackingHandlers(io, tracking, logger);
  const deliveryService = new DeliveryService({
    db,
    deliveries,
    presence,
    assignment,
    realtime,
    metrics: deliveryMetrics,
    logger,
  });

  const app = createHttpApp({
    title: 'Food Flow delivery service',
    logger,
    metrics,
    health: infrastructureChecks({ db, redis, broker }),
    routes: (express) => {
      express.use(driverRoutes(new DriverService(presence, assignment, logger), verifier));
      express.use(deliveryRoutes(deliveryService, verifier));
      express.use(trackingRoutes(tracking, verifier));
    },
  });

  const relay = new OutboxRelay({ db, broker, logger, metrics, channel: OUTBOX_CHANNEL });
  const consumers = [
    createAssignmentConsumer({ broker, db, logger, metrics, deliveryMetrics, deliveries, orders, assignment }),
    createNotificationHub({ broker, db, logger, metrics, orders, deliveries, realtime }),
  ];
  let jobs: { stop: () => Promise<void> }[] = [];

  return {
    app,
    server,
    io,
    async start() {
      await relay.start();
      for (const consumer of consumers) await consumer.start();
      const { retention } = extra;
      jobs = [
        every('assign waiting deliveries', extra.assignment.sweepIntervalMs, () => assignment.sweep(), logger),
        every(
          'purge location history',
          retention.purgeIntervalMs,
          () => deliveries.purgeLocationsOlderThan(db, retention.locationHours),
          logger,
        ),
        every(
          'purge inbox and outbox',
          retention.purgeIntervalMs,
          () =>
            Promise.all([purgeInbox(db, retention.messagingHours), purgePublishedOutbox(db, retention.messagingHours)]),
          logger,
        ),
        every('forget silent drivers', retention.purgeIntervalMs, () => presence.forgetSilentDrivers(), logger),
      ];
    },
    disconnectSockets() {
      io.local.disconnectSockets(true);
    },
    async stop() {
      await Promise.all(jobs.map((job) => job.stop()));
      for (const consumer of consumers) await consumer.stop();
      await relay.stop();
      await revocations.stop();
      await io.close();
      orderService.close();
    },
  };
}
