import { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';

export type { Redis } from 'ioredis';

/**
 * An ioredis client that fails commands fast while Redis is away (instead of queueing them for ever),
 * so callers can degrade or answer 503, and that keeps reconnecting in the background.
 */
export function createRedis(url: string, logger: Logger, name = 'redis'): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    // Commands issued while connecting wait for the connection, but never longer than this: an
    // unreachable Redis must turn into a quick fallback or a 503, not a stalled request.
    enableOfflineQueue: true,
    commandTimeout: 500,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let healthy = true;
  redis.on('error', (err) => {
    if (healthy) logger.warn('Redis connection error', { err });
    healthy = false;
  });
  redis.on('ready', () => {
    if (!healthy) logger.info('Redis connection restored');
    healthy = true;
  });
  return redis;
}
