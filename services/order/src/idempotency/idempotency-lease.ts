import { randomUUID } from 'node:crypto';
import { dependencyUnavailable, type Redis } from '@foodflow/platform';
import type { IdempotencyScope } from './idempotency.repository.js';

/**
 * How long a request holds its key. Far above a checkout's duration, so it lapses only for a request whose
 * process died or stalled; such a request can no longer write anything once another has answered the key.
 */
const LEASE_MS = 60_000;

/** Where the lease of one (user, key) lives; the user id is a UUID, so no two scopes share a name. */
export const leaseKey = ({ userId, key }: Pick<IdempotencyScope, 'userId' | 'key'>): string =>
  `order:idempotency:${userId}:${key}`;

// Taking the lease and, failing that, reading who holds it must be one step, or the holder could let go in
// between and the reader would see nobody.
const TAKE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
return redis.call('GET', KEYS[1])`;

// Only its holder may end a lease: one that lapsed may belong to another request by now.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The scripts as commands of the client: ioredis sends each by its SHA1, and its text only when Redis lacks it. */
interface LeaseCommands {
  takeIdempotencyLease(key: string, value: string, leaseMs: number): Promise<string | null>;
  releaseIdempotencyLease(key: string, value: string): Promise<number>;
}

export type Lease = { taken: true; token: string } | { taken: false; holderRequestHash: string };

/** Marks the requests in flight per (user, Idempotency-Key) with a short lease in Redis. */
export class IdempotencyLeases {
  private readonly redis: Redis & LeaseCommands;

  constructor(redis: Redis) {
    redis.defineCommand('takeIdempotencyLease', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('releaseIdempotencyLease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as Redis & LeaseCommands;
  }

  /** The lease with its own token, or the request hash of the request that holds it. */
  async take(scope: IdempotencyScope): Promise<Lease> {
    const token = randomUUID();
    const holder = await this.call(() =>
      this.redis.takeIdempotencyLease(leaseKey(scope), leaseValue(token, scope), LEASE_MS),
    );
    if (holder === null) return { taken: true, token };
    return { taken: false, holderRequestHash: holder.slice(holder.indexOf(':') + 1) };
  }

  /** Ends the lease if it is still this token's. */
  async release(scope: IdempotencyScope, token: string): Promise<void> {
    await this.call(() => this.redis.releaseIdempotencyLease(leaseKey(scope), leaseValue(token, scope)));
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw dependencyUnavailable('The idempotency lease store', err);
    }
  }
}

const leaseValue = (token: string, scope: IdempotencyScope): string => `${token}:${scope.requestHash}`;
