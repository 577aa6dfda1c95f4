import { AppError, dependencyUnavailable, type Redis } from '@foodflow/platform';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginLimits {
  perAccount: number;
  perIp: number;
  windowS: number;
}

/**
 * Counts failed logins per account and per client address in Redis (shared by every instance).
 * An account under attack is locked for the rest of the window, whoever tries; one address cannot
 * sweep through many accounts either. A successful login clears the account's count.
 */
export class LoginLimiter {
  private readonly perAccount: RateLimiterRedis;
  private readonly perIp: RateLimiterRedis;

  constructor(redis: Redis, limits: LoginLimits) {
    const common = { storeClient: redis, duration: limits.windowS, rejectIfRedisNotReady: true };
    this.perAccount = new RateLimiterRedis({ ...common, keyPrefix: 'login:fail:account', points: limits.perAccount });
    this.perIp = new RateLimiterRedis({ ...common, keyPrefix: 'login:fail:ip', points: limits.perIp });
  }

  /** Throws RATE_LIMITED (with `Retry-After`) when the account or the address has used up its failures. */
  async assertAllowed(email: string, ip: string): Promise<void> {
    const [account, address] = await this.guard(Promise.all([this.perAccount.get(email), this.perIp.get(ip)]));
    const blocked = [
      [account, this.perAccount.points],
      [address, this.perIp.points],
    ] as const;
    const waitMs = Math.max(
      0,
      ...blocked.map(([res, limit]) => (res && res.consumedPoints >= limit ? res.msBeforeNext : 0)),
    );
    if (waitMs > 0) {
      throw new AppError('RATE_LIMITED', 'Too many failed logins; try again later', {
        retryAfterSeconds: waitMs / 1000,
      });
    }
  }

  async recordFailure(email: string, ip: string): Promise<void> {
    const consume = (limiter: RateLimiterRedis, key: string): Promise<unknown> =>
      // Going over the limit rejects with the counter state; that is expected here, the next attempt is refused.
      limiter.consume(key).catch((err: unknown) => {
        if (!(err instanceof RateLimiterRes)) throw err;
      });
    await this.guard(Promise.all([consume(this.perAccount, email), consume(this.perIp, ip)]));
  }

  async recordSuccess(email: string): Promise<void> {
    await this.guard(this.perAccount.delete(email));
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
