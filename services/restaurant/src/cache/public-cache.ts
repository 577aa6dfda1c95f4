import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger, Metrics, Redis } from '@foodflow/platform';

const PREFIX = 'restaurants:';
const LIST_VERSION = `${PREFIX}version:list`;
const restaurantVersion = (id: string): string => `${PREFIX}version:${id}`;

export type Clock = () => Date;

/** Something whose cached copies a write makes stale: every list page, or one restaurant's detail and menu. */
export type CacheScope = { kind: 'list' } | { kind: 'restaurant'; id: string };

/**
 * The cache of public reads (list pages, restaurant details, menus), held in Redis as serialized response
 * bodies so a hit costs neither a query nor a `JSON.stringify`.
 *
 * Invalidation is O(1): each scope has a version counter, and every key embeds the version it was built
 * under. A write bumps the counter after it commits, so the very next read looks under a new key and
 * misses. A reader that filled an old key while the write ran only wrote under the old version, which no
 * one reads any more. A small in-process copy keyed by the same versioned key saves the second round trip.
 *
 * Entries expire at the next full minute: `isOpen` depends on the clock, but opening hours have minute
 * precision, so an entry built within a minute stays right until that minute ends.
 *
 * Redis is an optimisation, never a dependency of a read: when it is away or fails, reads go to the
 * database and writes cannot invalidate, which the minute-bounded expiry covers once it is back.
 */
export class PublicCache {
  private readonly local = new LRUCache<string, string>({ max: 2000, ttlAutopurge: false });
  private readonly lookups;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly clock: Clock,
    metrics?: Metrics,
  ) {
    this.lookups = metrics?.counter({
      name: 'restaurant_cache_lookups_total',
      help: 'Public-read cache lookups, by kind and outcome (local, hit, miss, bypass)',
      labelNames: ['kind', 'outcome'] as const,
    });
  }

  /** The body cached for `name` in `scope`, or `load()`'s result, serialized, stored and returned. */
  async read(scope: CacheScope, name: string, load: () => Promise<unknown>): Promise<string> {
    const version = await this.version(scope);
    if (version === undefined) {
      this.lookups?.inc({ kind: scope.kind, outcome: 'bypass' });
      return JSON.stringify(await load());
    }
    const key = `${PREFIX}${scope.kind === 'list' ? 'list' : scope.id}:${version}:${name}`;
    const held = this.local.get(key);
    if (held !== undefined) {
      this.lookups?.inc({ kind: scope.kind, outcome: 'local' });
      return held;
    }
    const cached = await this.redis.get(key).catch((err: unknown) => {
      this.logger.warn('Cache read failed; reading from the database', { err });
      return null;
    });
    if (cached !== null) {
      this.lookups?.inc({ kind: scope.kind, outcome: 'hit' });
      this.local.set(key, cached, { ttl: this.ttlMs() });
      return cached;
    }
    this.lookups?.inc({ kind: scope.kind, outcome: 'miss' });
    const body = JSON.stringify(await load());
    const ttl = this.ttlMs();
    this.local.set(key, body, { ttl });
    this.redis.set(key, body, 'PX', ttl).catch((err: unknown) => {
      this.logger.warn('Cache write failed', { err });
    });
    return body;
  }

  /** Makes every cached copy in these scopes stale; call after the write has committed. */
  async invalidate(...scopes: CacheScope[]): Promise<void> {
    if (this.redis.status !== 'ready') {
      this.logger.warn('Redis is unavailable; cached reads may be stale until the next minute');
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const scope of scopes) pipeline.incr(this.versionKey(scope));
    try {
      const results = await pipeline.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    } catch (err) {
      this.logger.warn('Cache invalidation failed; cached reads may be stale until the next minute', { err });
    }
  }

  /** A stable name for a query object: the same filters in any order give the same name. */
  static nameOf(query: object): string {
    const entries = Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return createHash('sha1').update(JSON.stringify(entries)).digest('base64url');
  }

  private versionKey(scope: CacheScope): string {
    return scope.kind === 'list' ? LIST_VERSION : restaurantVersion(scope.id);
  }

  /** The scope's current version ("0" before its first write), or undefined when Redis cannot say. */
  private async version(scope: CacheScope): Promise<string | undefined> {
    // Commands to a disconnected client would wait for the reconnect; skip the cache at once instead.
    if (this.redis.status !== 'ready') return undefined;
    try {
      return (await this.redis.get(this.versionKey(scope))) ?? '0';
    } catch (err) {
      this.logger.warn('Cache version read failed; reading from the database', { err });
      return undefined;
    }
  }

  private ttlMs(): number {
    return 60_000 - (this.clock().getTime() % 60_000);
  }
}
