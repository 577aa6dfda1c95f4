import { type AuthUser, forbidden, notFound } from '@foodflow/platform';
import { type CacheScope, type Clock, PublicCache, type SerializedBody } from '../cache/public-cache.js';
import { type Restaurant, toRestaurant } from './restaurant.mapper.js';
import type { RestaurantRepository } from './restaurant.repository.js';
import {
  DEFAULT_RADIUS_KM,
  type ListQuery,
  type RestaurantChanges,
  type RestaurantInput,
} from './restaurant.schemas.js';

/** Who may change a restaurant and its menu: its owner, or an admin. */
export function assertManages(user: AuthUser, ownerId: string): void {
  if (user.role !== 'admin' && user.id !== ownerId) throw forbidden('Only the owner of this restaurant may change it');
}

/** The search a list query asks for, its radius defaulted. */
const searchOf = (query: ListQuery) => ({ ...query, radiusKm: query.radiusKm ?? DEFAULT_RADIUS_KM });

const LIST: CacheScope = { kind: 'list' };
const POPULAR: CacheScope = { kind: 'popular' };
/** Pages sorted by popularity are reordered by every order placed; the others only by restaurant writes. */
const listScope = (query: ListQuery): CacheScope => (query.sort === 'popular' ? POPULAR : LIST);

export class RestaurantService {
  private readonly names = new WeakMap<ListQuery, string>();

  constructor(
    private readonly restaurants: RestaurantRepository,
    private readonly cache: PublicCache,
    private readonly defaultTimeZone: string,
    private readonly clock: Clock,
  ) {}

  /** A page of the search, serialized (public and cached). */
  list(query: ListQuery): Promise<SerializedBody> {
    const search = searchOf(query);
    return this.cache.read(
      listScope(query),
      this.cacheName(query),
      async () => {
        const now = this.clock();
        const { rows, total } = await this.restaurants.search(search, now);
        return { data: rows.map((row) => toRestaurant(row, now)), page: query.page, pageSize: query.pageSize, total };
      },
      // A search by text or by the caller's position is theirs alone; the filters and sorts are everyone's.
      { shared: query.q === undefined && query.near === undefined },
    );
  }

  /**
   * The cache name of a search. A frozen query (one the HTTP layer validated once and reuses for the same
   * query string) cannot change, so its name is worked out once.
   */
  private cacheName(query: ListQuery): string {
    if (!Object.isFrozen(query)) return PublicCache.nameOf(searchOf(query));
    let name = this.names.get(query);
    if (name === undefined) {
      name = PublicCache.nameOf(searchOf(query));
      this.names.set(query, name);
    }
    return name;
  }

  /** The page `list(query)` would give, if this process holds it and can answer at once. */
  heldList(query: ListQuery): SerializedBody | undefined {
    return this.cache.held(listScope(query), this.cacheName(query));
  }

  /** The body `detail(id)` would give, if this process holds it and can answer at once. */
  heldDetail(id: string): SerializedBody | undefined {
    return this.cache.held({ kind: 'restaurant', id }, 'detail');
  }

  /** One restaurant, serialized (public and cached). */
  detail(id: string): Promise<SerializedBody> {
    return this.cache.read({ kind: 'restaurant', id }, 'detail', async () => {
      const row = await this.restaurants.findById(id);
      if (!row) throw notFound('Restaurant');
      return toRestaurant(row, this.clock());
    });
  }

  async create(user: AuthUser, input: RestaurantInput): Promise<Restaurant> {
    const row = await this.restaurants.insert(user.id, { ...input, timeZone: input.timeZone ?? this.defaultTimeZone });
    await this.cache.invalidate(LIST, POPULAR);
    return toRestaurant(row, this.clock());
  }

  /** Every order placed reorders the pages sorted by popularity; call once it is counted. */
  orderCounted(): Promise<void> {
    return this.cache.invalidate(POPULAR);
  }

  async update(user: AuthUser, id: string, changes: RestaurantChanges): Promise<Restaurant> {
    const ownerId = await this.restaurants.ownerOf(id);
    if (!ownerId) throw notFound('Restaurant');
    assertManages(user, ownerId);
    const row = await this.restaurants.update(id, changes);
    if (!row) throw notFound('Restaurant');
    await this.cache.invalidate(LIST, POPULAR, { kind: 'restaurant', id });
    return toRestaurant(row, this.clock());
  }
}
