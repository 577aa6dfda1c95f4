import { AppError, type Redis } from '@foodflow/platform';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimits {
  perMinute: number;
  perHour: number;
}

const WINDOWS = [
  { name: 'Minute', seconds: 60, limit: (l: RateLimits) => l.perMinute },
  { name: 'Hour', seconds: 3600, limit: (l: RateLimits) => l.perHour },
] as const;

/**
 * Counts one hit in every window (KEYS[i] lasting ARGV[i] seconds) and answers each window's count and
 * milliseconds left, in one round trip. A window opens with its first hit and its counter expires with
 * it, as rate-limiter-flexible counts in memory, so both ways of counting agree.
 */
const COUNT_HIT = `
local answer = {}
for i, key in ipairs(KEYS) do
  redis.call('SET', key, 0, 'EX', ARGV[i], 'NX')
  local hits = redis.call('INCR', key)
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('EXPIRE', key, ARGV[i])
    left = 1000 * ARGV[i]
  end
  answer[#answer + 1] = hits
  answer[#answer + 1] = left
end
return answer`;

const COMMAND = 'gatewayCountHit';

type CountingRedis = Redis & Record<typeof COMMAND, (...keysThenSeconds: (string | number)[]) => Promise<number[]>>;

interface WindowCount {
  hits: number;
  msLeft: number;
}

interface Window {
  limit: number;
  seconds: number;
  /** Redis keys are `<prefix>:<caller>`, as rate-limiter-flexible names them. */
  prefix: string;
  /** Kong's `X-RateLimit-Limit-<Window>` / `X-RateLimit-Remaining-<Window>` headers. */
  limitHeader: string;
  remainingHeader: string;
  inMemory: RateLimiterMemory;
}

/**
 * Kong's rate-limiting plugin with `policy: redis`: minute and hour windows whose counters live in Redis,
 * so every gateway instance enforces one shared limit; both windows are counted by one script call
 * (EVALSHA), one Redis round trip per request. If Redis is away each instance counts in memory instead
 * (Kong's `fault_tolerant`): limits loosen for a while, the API stays up.
 */
export class RateLimiter {
  private readonly redis: CountingRedis;
  private readonly windows: Window[];
  private readonly seconds: number[];

  constructor(redis: Redis, limits: RateLimits, keyPrefix = 'gateway:ratelimit') {
    redis.defineCommand(COMMAND, { numberOfKeys: WINDOWS.length, lua: COUNT_HIT });
    this.redis = redis as CountingRedis;
    this.windows = WINDOWS.map(({ name, seconds, limit }) => ({
      limit: limit(limits),
      seconds,
      prefix: `${keyPrefix}:${name.toLowerCase()}`,
      limitHeader: `X-RateLimit-Limit-${name}`,
      remainingHeader: `X-RateLimit-Remaining-${name}`,
      inMemory: new RateLimiterMemory({ points: limit(limits), duration: seconds }),
    }));
    this.seconds = WINDOWS.map((w) => w.seconds);
  }

  /**
   * Counts one request for `key` and returns Kong's `X-RateLimit-*` headers; over either limit it
   * throws RATE_LIMITED with `Retry-After` (seconds until the window that refused resets).
   */
  async consume(key: string): Promise<Record<string, string>> {
    const counts = await this.count(key);
    const refused = counts.filter((count, i) => count.hits > this.windows[i]!.limit);
    if (refused.length > 0) {
      throw new AppError('RATE_LIMITED', 'Too many requests; retry after the number of seconds in Retry-After', {
        retryAfterSeconds: Math.max(...refused.map((r) => r.msLeft)) / 1000,
      });
    }
    const headers: Record<string, string> = {};
    this.windows.forEach((window, i) => {
      headers[window.limitHeader] = String(window.limit);
      headers[window.remainingHeader] = String(Math.max(window.limit - counts[i]!.hits, 0));
    });
    return headers;
  }

  private async count(key: string): Promise<WindowCount[]> {
    // While Redis is away, count in memory at once rather than waiting on a dead connection.
    if (this.redis.status === 'ready') {
      try {
        const answer = await this.redis[COMMAND](...this.windows.map((w) => `${w.prefix}:${key}`), ...this.seconds);
        return this.windows.map((_, i) => ({ hits: answer[2 * i]!, msLeft: answer[2 * i + 1]! }));
      } catch {
        // Redis failed this call (timeout, connection lost): this request is counted in memory instead.
      }
    }
    return Promise.all(
      this.windows.map(async ({ inMemory }) => {
        const state = await inMemory.consume(key).catch((refusal: unknown) => {
          if (refusal instanceof RateLimiterRes) return refusal;
          throw refusal;
        });
        return { hits: state.consumedPoints, msLeft: state.msBeforeNext };
      }),
    );
  }
}
