import CircuitBreaker from 'opossum';
import { AppError, dependencyUnavailable } from '../errors/app-error.js';
import type { Logger } from '../logging/logger.js';

export interface BreakerOptions {
  /** Names the peer in logs and in the 503 message. */
  peer: string;
  timeoutMs: number;
  resetMs: number;
  logger: Logger;
}

/**
 * Wraps calls to a peer service in a circuit breaker: after repeated failures the peer is given a rest
 * and callers get an immediate 503 instead of waiting out a timeout each. A 4xx answer is the peer
 * working as designed (an unknown item, a missing address), so it neither trips the circuit nor
 * becomes a 503.
 */
export function guardPeerCall<A extends unknown[], R>(
  call: (...args: A) => Promise<R>,
  { peer, timeoutMs, resetMs, logger }: BreakerOptions,
): { fire: (...args: A) => Promise<R>; shutdown: () => void } {
  const breaker = new CircuitBreaker(call, {
    name: peer,
    // The HTTP client's own timeout fires first; this bound also covers a hung body read.
    timeout: timeoutMs + 500,
    resetTimeout: resetMs,
    errorThresholdPercentage: 50,
    volumeThreshold: 5,
    errorFilter: (err: unknown) => err instanceof AppError && err.status < 500,
  });
  breaker.on('open', () => logger.warn(`Circuit to ${peer} opened; failing fast for ${resetMs} ms`));
  breaker.on('close', () => logger.info(`Circuit to ${peer} closed again`));
  return {
    fire: async (...args: A): Promise<R> => {
      try {
        return await breaker.fire(...args);
      } catch (err) {
        if (err instanceof AppError) throw err;
        throw dependencyUnavailable(`The ${peer}`, err);
      }
    },
    shutdown: () => breaker.shutdown(),
  };
}
