import { devDefault, type Env, loadServiceConfig } from '@foodflow/platform';
import Joi from 'joi';

export const SERVICE_NAME = 'delivery-service';

const serviceKeys = {
  ORDER_SERVICE_URL: devDefault(Joi.string().uri({ scheme: ['http', 'https'] }), 'http://127.0.0.1:3003'),
  DRIVER_OFFLINE_AFTER_S: Joi.number().integer().min(10).default(600),
  ASSIGNMENT_RADIUS_KM: Joi.number().min(0.1).max(20_000).default(25),
  ASSIGNMENT_SWEEP_INTERVAL_MS: Joi.number().integer().min(100).default(5000),
  AVERAGE_SPEED_KMH: Joi.number().min(1).max(250).default(25),
  LOCATION_RETENTION_HOURS: Joi.number().integer().min(1).default(72),
  MESSAGING_RETENTION_HOURS: Joi.number().integer().min(1).default(168),
  PURGE_INTERVAL_MS: Joi.number().integer().min(1000).default(3_600_000),
  SOCKET_RECOVERY_WINDOW_MS: Joi.number().integer().min(0).default(120_000),
  SOCKET_STREAM_NAME: Joi.string().default('delivery:socket.io'),
};

export interface DeliveryServiceExtra {
  /** Asked for an order only while `order.created` has not reached this service's copy of it. */
  orderServiceUrl: string;
  drivers: { offlineAfterS: number };
  assignment: { radiusKm: number; sweepIntervalMs: number };
  tracking: { averageSpeedKmh: number };
  retention: { locationHours: number; messagingHours: number; purgeIntervalMs: number };
  sockets: { recoveryWindowMs: number; streamName: string };
}

function mapExtra(v: Record<string, unknown>): DeliveryServiceExtra {
  const n = (name: string): number => v[name] as number;
  return {
    orderServiceUrl: v['ORDER_SERVICE_URL'] as string,
    drivers: { offlineAfterS: n('DRIVER_OFFLINE_AFTER_S') },
    assignment: { radiusKm: n('ASSIGNMENT_RADIUS_KM'), sweepIntervalMs: n('ASSIGNMENT_SWEEP_INTERVAL_MS') },
    tracking: { averageSpeedKmh: n('AVERAGE_SPEED_KMH') },
    retention: {
      locationHours: n('LOCATION_RETENTION_HOURS'),
      messagingHours: n('MESSAGING_RETENTION_HOURS'),
      purgeIntervalMs: n('PURGE_INTERVAL_MS'),
    },
    sockets: { recoveryWindowMs: n('SOCKET_RECOVERY_WINDOW_MS'), streamName: v['SOCKET_STREAM_NAME'] as string },
  };
}

/** The delivery service's whole configuration, validated at boot. */
export function loadDeliveryConfig(env: Env = process.env) {
  return loadServiceConfig<DeliveryServiceExtra>(
    {
      service: SERVICE_NAME,
      port: 3004,
      databaseRole: 'deliveries_service',
      broker: true,
      extra: { keys: serviceKeys, map: mapExtra },
    },
    env,
  );
}

export type DeliveryConfig = ReturnType<typeof loadDeliveryConfig>;
