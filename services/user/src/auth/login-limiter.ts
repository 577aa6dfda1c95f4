import { AppError, dependencyUnavailable, type Redis } from '@foodflow/platform';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginLimits {
  perAccount: number;
  perIp: number;
  windowS: number;
}

/**
 * Counts login attempts per account and per client address in Redis (shared by every instance).
 * An attempt is counted atomically *before* the password is compared, so parallel guesses cannot all
 * slip through between a check and a count. An account under attack is locked for the rest of the
 * window, whoever tries; one address cannot sweep through many accounts either. A successful login
 * gives its attempts back.
 */
export class LoginLimiter {
  private readonly perAccount: RateLimiterRedis;
  private readonly perIp: RateLimiterRedis;

  constructor(redis: Redis, limits: LoginLimits) {
    const common = { storeClient: redis, duration: limits.windowS, rejectIfRedisNotReady: true };
    this.perAccount = new RateLimiterRedis({ ...common, keyPrefix: 'login:fail:account', points: limits.perAccount });
    this.perIp = new RateLimiterRedis({ ...common, keyPrefix: 'login:fail:ip', points: limits.perIp });
  }

  /** Spends one attempt of the account and of the address; RATE_LIMITED (with `Retry-After`) when either is used up. */
  async consume(email: string, ip: string): Promise<void> {
    const outcomes = await Promise.allSettled([this.perAccount.consume(email), this.perIp.consume(ip)]);
    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    // Over the limit rejects with the counter state; anything else means the counters are unreachable.
    const failure = refusals.find((r) => !(r instanceof RateLimiterRes));
    if (failure !== undefined) throw dependencyUnavailable('The login limiter', failure);
    if (refusals.length > 0) {
      const waitMs = Math.max(...refusals.map((r) => (r as RateLimiterRes).msBeforeNext));
      throw new AppError('RATE_LIMITED', 'Too many failed logins; try again later', {
        retryAfterSeconds: waitMs / 1000,
      });
    }
  }

  /** A successful login clears the account's count and returns the attempt it took from the address. */
  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.guard(Promise.all([this.perAccount.delete(email), this.perIp.reward(ip, 1)]));
  }

  /** Without the counters, logins fail closed rather than allow unlimited guessing. */
  private async guard<T>(operation: Promise<T>): Promise<T> {
    try {
      return await operation;
    } catch (err) {
      throw dependencyUnavailable('The login limiter', err);
    }
  }
}
