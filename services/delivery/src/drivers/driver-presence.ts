import { dependencyUnavailable, type LatLng, type Redis } from '@foodflow/platform';

const GEO_KEY = 'delivery:drivers:geo';
const SEEN_KEY = 'delivery:drivers:seen';
const NAMES_KEY = 'delivery:drivers:names';

/** How many nearest drivers one assignment looks at before giving up on the area. */
const CANDIDATES = 50;

export interface NearbyDriver {
  driverId: string;
  distanceKm: number;
}

/**
 * Where online drivers are, in Redis: a GEO set of positions, a sorted set of when each was last heard
 * from, and their first names. A driver silent longer than `offlineAfterS` counts as offline on every
 * read, whether or not a cleanup has removed them yet.
 */
export class DriverPresence {
  constructor(
    private readonly redis: Redis,
    private readonly offlineAfterS: number,
  ) {}

  async goOnline(driver: { id: string; firstName: string }, location: LatLng): Promise<void> {
    await this.run(() =>
      this.redis
        .multi()
        .geoadd(GEO_KEY, location.lng, location.lat, driver.id)
        .zadd(SEEN_KEY, Date.now(), driver.id)
        .hset(NAMES_KEY, driver.id, driver.firstName)
        .exec(),
    );
  }

  async goOffline(driverId: string): Promise<void> {
    await this.run(() => this.redis.multi().zrem(GEO_KEY, driverId).zrem(SEEN_KEY, driverId).exec());
  }

  /**
   * Positions sent while working keep online drivers online and move them on the map (never bringing an
   * offline one back), all in one round trip.
   */
  async recordPositions(positions: (LatLng & { driverId: string })[]): Promise<void> {
    if (positions.length === 0) return;
    const now = Date.now();
    await this.run(() =>
      this.redis
        .pipeline()
        .geoadd(GEO_KEY, 'XX', ...positions.flatMap((p) => [p.lng, p.lat, p.driverId]))
        .zadd(SEEN_KEY, 'XX', ...positions.flatMap((p) => [now, p.driverId]))
        .exec(),
    );
  }

  async firstName(driverId: string): Promise<string> {
    return (await this.run(() => this.redis.hget(NAMES_KEY, driverId))) ?? '';
  }

  /** Online drivers within `radiusKm` of a point, nearest first. */
  async nearestOnline(point: LatLng, radiusKm: number): Promise<NearbyDriver[]> {
    const found = (await this.run(() =>
      this.redis.geosearch(
        GEO_KEY,
        'FROMLONLAT',
        point.lng,
        point.lat,
        'BYRADIUS',
        radiusKm,
        'km',
        'ASC',
        'COUNT',
        CANDIDATES,
        'WITHDIST',
      ),
    )) as [string, string][];
    if (found.length === 0) return [];
    const online = await this.onlineAmong(found.map(([id]) => id));
    return found
      .filter(([id]) => online.has(id))
      .map(([driverId, distance]) => ({ driverId, distanceKm: Number(distance) }));
  }

  /** Where an online driver is; undefined for a driver offline or silent too long. */
  async onlineDriver(driverId: string): Promise<{ id: string; firstName: string; location: LatLng } | undefined> {
    const [seen, positions, firstName] = await this.run(() =>
      Promise.all([
        this.redis.zscore(SEEN_KEY, driverId),
        this.redis.geopos(GEO_KEY, driverId),
        this.redis.hget(NAMES_KEY, driverId),
      ]),
    );
    const position = positions[0];
    if (seen === null || Number(seen) < this.cutoff() || !position) return undefined;
    return {
      id: driverId,
      firstName: firstName ?? '',
      location: { lng: Number(position[0]), lat: Number(position[1]) },
    };
  }

  /** Every driver online now. */
  async onlineDriverIds(): Promise<string[]> {
    return this.run(() => this.redis.zrangebyscore(SEEN_KEY, this.cutoff(), '+inf'));
  }

  /** Takes drivers silent for too long off the map (reads already ignore them). */
  async forgetSilentDrivers(): Promise<number> {
    const silent = await this.run(() => this.redis.zrangebyscore(SEEN_KEY, '-inf', `(${this.cutoff()}`));
    if (silent.length === 0) return 0;
    await this.run(() =>
      this.redis
        .multi()
        .zrem(GEO_KEY, ...silent)
        .zrem(SEEN_KEY, ...silent)
        .exec(),
    );
    return silent.length;
  }

  private async onlineAmong(driverIds: string[]): Promise<Set<string>> {
    const scores = await this.run(() => this.redis.zmscore(SEEN_KEY, ...driverIds));
    const cutoff = this.cutoff();
    return new Set(
      driverIds.filter((_, i) => scores[i] !== null && scores[i] !== undefined && Number(scores[i]) >= cutoff),
    );
  }

  private cutoff(): number {
    return Date.now() - this.offlineAfterS * 1000;
  }

  /** Redis errors become 503s: callers may retry, and nothing half-done is acknowledged. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw dependencyUnavailable('The driver location store', err);
    }
  }
}
