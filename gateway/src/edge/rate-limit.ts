import { AppError, type Redis } from '@foodflow/platform';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RateLimiterUnion } from 'rate-limiter-flexible';

export interface RateLimits {
  perMinute: number;
  perHour: number;
}

const WINDOWS = [
  { name: 'Minute', seconds: 60, limit: (l: RateLimits) => l.perMinute },
  { name: 'Hour', seconds: 3600, limit: (l: RateLimits) => l.perHour },
] as const;

/**
 * Kong's rate-limiting plugin with `policy: redis`: fixed minute and hour windows whose counters live
 * in Redis, so every gateway instance enforces one shared limit. If Redis is away each instance falls
 * back to counting in memory (Kong's `fault_tolerant`): limits loosen for a while, the API stays up.
 */
export class RateLimiter {
  private readonly union: RateLimiterUnion;
  private readonly prefixes: string[];

  constructor(
    redis: Redis,
    private readonly limits: RateLimits,
    keyPrefix = 'gateway:ratelimit',
  ) {
    this.prefixes = WINDOWS.map(({ name }) => `${keyPrefix}:${name.toLowerCase()}`);
    this.union = new RateLimiterUnion(
      ...WINDOWS.map(({ seconds, limit }, i) => {
        const window = { keyPrefix: this.prefixes[i], points: limit(limits), duration: seconds };
        return new RateLimiterRedis({
          ...window,
          storeClient: redis,
          // While Redis is away, count in memory at once rather than waiting on a dead connection.
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory(window),
        });
      }),
    );
  }

  /**
   * Counts one request for `key` and returns Kong's `X-RateLimit-*` headers; over either limit it
   * throws RATE_LIMITED with `Retry-After` (seconds until the window that refused resets).
   */
  async consume(key: string): Promise<Record<string, string>> {
    try {
      const results = await this.union.consume(key);
      return Object.fromEntries(
        WINDOWS.flatMap(({ name, limit }, i) => {
          const result = results[this.prefixes[i] ?? ''];
          return [
            [`X-RateLimit-Limit-${name}`, String(limit(this.limits))],
            [`X-RateLimit-Remaining-${name}`, String(result?.remainingPoints ?? 0)],
          ];
        }),
      );
    } catch (rejection) {
      const refused = Object.values(rejection as Record<string, unknown>).filter(
        (r): r is RateLimiterRes => r instanceof RateLimiterRes,
      );
      // Both windows have an insurance limiter, so anything but a counter state is a bug of ours.
      if (refused.length === 0) throw rejection;
      const waitMs = Math.max(...refused.map((r) => r.msBeforeNext));
      throw new AppError('RATE_LIMITED', 'Too many requests; retry after the number of seconds in Retry-After', {
        retryAfterSeconds: waitMs / 1000,
      });
    }
  }
}
