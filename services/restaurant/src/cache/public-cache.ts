import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger, Metrics, Redis } from '@foodflow/platform';
import { Doorkeeper } from './doorkeeper.js';

const PREFIX = 'restaurants:';
const restaurantVersion = (id: string): string => `${PREFIX}version:${id}`;
/** Every write names the version key it bumped here, so every instance forgets its copy of that version. */
const INVALIDATIONS_CHANNEL = `${PREFIX}invalidations`;

/** Bodies held in this process, at most (they are JSON of a page, a restaurant or a menu: a few KiB each). */
const LOCAL_MAX_BYTES = 64 * 1024 * 1024;

export type Clock = () => Date;

type LookupOutcome = 'local' | 'hit' | 'miss' | 'bypass';

/**
 * Something whose cached copies a write makes stale: the list pages (those sorted by popularity apart, as
 * every order placed reorders them), or one restaurant's detail and menu.
 */
export type CacheScope = { kind: 'list' } | { kind: 'popular' } | { kind: 'restaurant'; id: string };

/** A response body as JSON bytes, with its entity tag once the HTTP layer has computed it. */
export interface SerializedBody {
  readonly body: Buffer;
  etag?: string;
}

const serialize = (value: unknown): SerializedBody => ({ body: Buffer.from(JSON.stringify(value)) });

/**
 * The cache of public reads (list pages, restaurant details, menus) as serialized response bodies, in two
 * tiers: Redis, shared by every instance (a page one instance built, or a restarted one, is not built
 * again), and in front of it this process's own copy, so a hit costs neither a query, nor a
 * `JSON.stringify`, nor a round trip to Redis. Only bodies many readers share go to Redis (a caller says
 * which): free-form searches, a text or a point of the caller's, are rarely asked twice, and would make
 * Redis hold as much as it is sent. This process holds such a body only from its second ask (a
 * `Doorkeeper` remembers the first): held at once, the one-off searches would fill its copy, crowd out
 * the pages asked again, and keep the garbage collector busy with bodies nobody reads twice.
 *
 * Invalidation is immediate, across instances: each scope has a version counter in Redis, and every key
 * embeds the version it was built under. A write bumps the counter after it commits and announces it on
 * a Redis channel; every instance then forgets the version it knew, reads the new one on its next read
 * and misses. The writing instance forgets before it answers, so the very next read after a write sees
 * it there; another instance forgets as soon as the announcement reaches it (a read it answers in between,
 * typically well under a millisecond, still gets the old copy: checking the version with Redis on every
 * read would close that window at the price of a round trip per read). A version is remembered only while
 * this instance is subscribed to the channel, since only then would it hear of a bump; otherwise every
 * read asks Redis. A version read that races with a bump is not remembered, and a page built under an old
 * version is kept under the old key, which no one reads any more.
 *
 * Entries expire at the next full minute: `isOpen` depends on the clock, but opening hours have minute
 * precision, so an entry built within a minute stays right until that minute ends.
 *
 * Redis is an optimisation, never a dependency of a read: when it is away or fails, reads go to the
 * database and writes cannot invalidate, which the minute-bounded expiry covers once it is back.
 */
export class PublicCache {
  private readonly local = new LRUCache<string, SerializedBody>({
    maxSize: LOCAL_MAX_BYTES,
    sizeCalculation: (entry) => entry.body.length + 1,
    ttlAutopurge: false,
  });
  /** Which unshared bodies were asked before: only those are held here (see the class comment). */
  private readonly doorkeeper = new Doorkeeper();
  private readonly lookups;
  private readonly lookupCounters = new Map<string, { inc: () => void }>();
  private readonly subscriber: Redis;
  /** The versions this instance knows while it is subscribed, by version key. */
  private readonly versions = new Map<string, string>();
  private subscribed = false;
  /** Bumped whenever a remembered version may have gone stale; a version read across a bump is not kept. */
  private generation = 0;
  /** Whether writes have already been told, during the Redis outage under way, that they cannot invalidate. */
  private outageReported = false;

  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly clock: Clock,
    metrics?: Metrics,
  ) {
    this.lookups = metrics?.counter({
      name: 'restaurant_cache_lookups_total',
      help: 'Public-read cache lookups, by kind and outcome (local: this process; hit: Redis; miss; bypass: Redis away)',
      labelNames: ['kind', 'outcome'] as const,
    });
    this.subscriber = this.listen();
    redis.on('ready', () => {
      this.outageReported = false;
    });
  }

  /**
   * The body this process holds for `name` in `scope` under a version it knows, at once; undefined when
   * answering needs Redis or the database (then `read`). A hit found here completes without a promise.
   */
  held(scope: CacheScope, name: string): SerializedBody | undefined {
    const version = this.knownVersion(scope);
    if (version === undefined) return undefined;
    const held = this.local.get(this.key(scope, version, name));
    if (held !== undefined) this.counted(scope, 'local');
    return held;
  }

  /**
   * The body cached for `name` in `scope`, or `load()`'s result, serialized, stored and returned. A shared
   * body (the default) is held here and in Redis; an unshared one only here, and only from its second ask.
   */
  async read(
    scope: CacheScope,
    name: string,
    load: () => Promise<unknown>,
    { shared: toShare = true } = {},
  ): Promise<SerializedBody> {
    // A version this instance knows is used at once: a hit then completes without waiting on anything.
    const version = this.knownVersion(scope) ?? (await this.version(scope));
    if (version === undefined) {
      this.counted(scope, 'bypass');
      return serialize(await load());
    }
    const key = this.key(scope, version, name);
    const held = this.local.get(key);
    if (held !== undefined) {
      this.counted(scope, 'local');
      return held;
    }
    const ttl = this.ttlMs();
    const shared = toShare ? await this.shared(key) : undefined;
    if (shared !== undefined) {
      this.counted(scope, 'hit');
      this.local.set(key, shared, { ttl });
      return shared;
    }
    this.counted(scope, 'miss');
    const built = serialize(await load());
    if (toShare || this.doorkeeper.askedBefore(key)) this.local.set(key, built, { ttl });
    // Nobody waits for it: this reader has its body, and another instance missing it meanwhile builds its own.
    if (toShare) void this.share(key, built, ttl);
    return built;
  }

  /** Makes every cached copy in these scopes stale, here and in every instance; call after the write has committed. */
  async invalidate(...scopes: CacheScope[]): Promise<void> {
    const keys = scopes.map((scope) => this.versionKey(scope));
    this.forget(keys);
    if (this.redis.status !== 'ready') {
      // Once per outage: every write (every counted order, too) lands here while it lasts.
      if (!this.outageReported)
        this.logger.warn('Redis is unavailable; cached reads may be stale until the next minute');
      this.outageReported = true;
      return;
    }
    const transaction = this.redis.multi();
    for (const key of keys) transaction.incr(key).publish(INVALIDATIONS_CHANNEL, key);
    try {
      const results = await transaction.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    } catch (err) {
      this.logger.warn('Cache invalidation failed; cached reads may be stale until the next minute', { err });
    } finally {
      // Whatever was read while the bump was on its way may be the old version.
      this.forget(keys);
    }
  }

  /** Stops listening for other instances' writes. */
  close(): void {
    this.subscribed = false;
    this.subscriber.disconnect();
  }

  /** A stable name for a query object: the same filters in any order give the same name. */
  static nameOf(query: object): string {
    const entries = Object.entries(query)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return createHash('sha1').update(JSON.stringify(entries)).digest('base64url');
  }

  /**
   * A connection of its own subscribed to the invalidations channel. Versions are trusted only from the
   * moment the subscription is confirmed until the connection drops: bumps announced in between could
   * not have been heard, so each (re)subscription starts from nothing.
   */
  private listen(): Redis {
    const subscriber = this.redis.duplicate({
      autoResubscribe: false,
      connectionName: `${this.redis.options.connectionName ?? 'restaurant-service'}:invalidations`,
    });
    let connection = 0;
    let warned = false;
    subscriber.on('message', (_channel: string, key: string) => this.forget([key]));
    subscriber.on('ready', () => {
      connection += 1;
      const current = connection;
      subscriber
        .subscribe(INVALIDATIONS_CHANNEL)
        .then(() => {
          if (current !== connection || subscriber.status !== 'ready') return;
          this.forgetAll();
          this.subscribed = true;
          warned = false;
        })
        .catch((err: unknown) => {
          this.logger.warn('Could not listen for cache invalidations; every cached read asks Redis', { err });
        });
    });
    subscriber.on('close', () => {
      connection += 1;
      this.subscribed = false;
      this.forgetAll();
    });
    subscriber.on('error', (err) => {
      if (!warned) this.logger.warn('Cache invalidation listener lost Redis; every cached read asks Redis', { err });
      warned = true;
    });
    return subscriber;
  }

  private forget(keys: string[]): void {
    this.generation += 1;
    for (const key of keys) this.versions.delete(key);
  }

  private forgetAll(): void {
    this.generation += 1;
    this.versions.clear();
  }

  /** Counts a lookup; each kind and outcome has its counter child, found without building labels each time. */
  private counted(scope: CacheScope, outcome: LookupOutcome): void {
    if (!this.lookups) return;
    const key = `${scope.kind}:${outcome}`;
    let child = this.lookupCounters.get(key);
    if (child === undefined) {
      child = this.lookups.labels({ kind: scope.kind, outcome });
      this.lookupCounters.set(key, child);
    }
    child.inc();
  }

  /** The body Redis holds under `key`; undefined when it holds none or cannot say (the database then answers). */
  private async shared(key: string): Promise<SerializedBody | undefined> {
    try {
      const body = await this.redis.getBuffer(key);
      return body === null ? undefined : { body };
    } catch (err) {
      this.logger.warn('Cached body read failed; reading from the database', { err });
      return undefined;
    }
  }

  /** Stores a body built here for every instance, until the same moment this process forgets it. */
  private async share(key: string, built: SerializedBody, ttlMs: number): Promise<void> {
    try {
      await this.redis.set(key, built.body, 'PX', ttlMs);
    } catch (err) {
      this.logger.warn('Could not store a cached body in Redis; other instances build it themselves', { err });
    }
  }

  private key(scope: CacheScope, version: string, name: string): string {
    return `${PREFIX}${scope.kind === 'restaurant' ? scope.id : scope.kind}:${version}:${name}`;
  }

  private versionKey(scope: CacheScope): string {
    return scope.kind === 'restaurant' ? restaurantVersion(scope.id) : `${PREFIX}version:${scope.kind}`;
  }

  /** The scope's version as remembered while subscribed, if it is. */
  private knownVersion(scope: CacheScope): string | undefined {
    return this.subscribed && this.redis.status === 'ready' ? this.versions.get(this.versionKey(scope)) : undefined;
  }

  /** The scope's current version as Redis has it ("0" before its first write), or undefined when Redis cannot say. */
  private async version(scope: CacheScope): Promise<string | undefined> {
    // Commands to a disconnected client would wait for the reconnect; skip the cache at once instead.
    if (this.redis.status !== 'ready') return undefined;
    const key = this.versionKey(scope);
    const generation = this.generation;
    const trusted = this.subscribed;
    try {
      const version = (await this.redis.get(key)) ?? '0';
      if (trusted && this.subscribed && generation === this.generation) this.versions.set(key, version);
      return version;
    } catch (err) {
      this.logger.warn('Cache version read failed; reading from the database', { err });
      return undefined;
    }
  }

  private ttlMs(): number {
    return 60_000 - (this.clock().getTime() % 60_000);
  }
}
