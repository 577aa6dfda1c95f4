import { dependencyUnavailable, type Redis } from '@foodflow/platform';

export interface CartLine {
  menuItemId: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
}

export interface StoredCart {
  restaurantId: string | null;
  lines: CartLine[];
}

const RESTAURANT_FIELD = 'restaurantId';
const itemField = (menuItemId: string): string => `item:${menuItemId}`;
const cartKey = (customerId: string): string => `order:cart:${customerId}`;

// Checking the cart's restaurant and writing the line must be one step, or two concurrent adds from
// different restaurants could both pass the check.
const SET_LINE = `
local current = redis.call('HGET', KEYS[1], '${RESTAURANT_FIELD}')
if current and current ~= ARGV[1] then return current end
redis.call('HSET', KEYS[1], '${RESTAURANT_FIELD}', ARGV[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return false`;

// A cart whose last line goes is deleted, so it no longer pins a restaurant.
const REMOVE_LINE = `
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) <= 1 then redis.call('DEL', KEYS[1]) else redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 1`;

/** The scripts as commands of the client: ioredis sends each by its SHA1, and its text only when Redis lacks it. */
interface CartCommands {
  setCartLine(
    key: string,
    restaurantId: string,
    field: string,
    line: string,
    ttlSeconds: number,
  ): Promise<string | null>;
  removeCartLine(key: string, field: string, ttlSeconds: number): Promise<number>;
}

/** Carts live in Redis, one hash per customer: the restaurant id plus one field per line. */
export class CartRepository {
  private readonly redis: Redis & CartCommands;

  constructor(
    redis: Redis,
    private readonly ttlSeconds: number,
  ) {
    redis.defineCommand('setCartLine', { numberOfKeys: 1, lua: SET_LINE });
    redis.defineCommand('removeCartLine', { numberOfKeys: 1, lua: REMOVE_LINE });
    this.redis = redis as Redis & CartCommands;
  }

  async find(customerId: string): Promise<StoredCart> {
    const fields = await this.call(() => this.redis.hgetall(cartKey(customerId)));
    const lines = Object.entries(fields)
      .filter(([field]) => field.startsWith('item:'))
      .map(([, value]) => JSON.parse(value) as CartLine)
      .sort((a, b) => a.name.localeCompare(b.name) || a.menuItemId.localeCompare(b.menuItemId));
    return { restaurantId: lines.length > 0 ? (fields[RESTAURANT_FIELD] ?? null) : null, lines };
  }

  /**
   * Sets one line (replacing any line of the same item) and refreshes the expiry. Returns the restaurant the
   * cart already belongs to when that is another one, in which case nothing is written.
   */
  async setLine(
    customerId: string,
    restaurantId: string,
    line: CartLine,
  ): Promise<{ conflictingRestaurantId?: string }> {
    const current = await this.call(() =>
      this.redis.setCartLine(
        cartKey(customerId),
        restaurantId,
        itemField(line.menuItemId),
        JSON.stringify(line),
        this.ttlSeconds,
      ),
    );
    return typeof current === 'string' ? { conflictingRestaurantId: current } : {};
  }

  async removeLine(customerId: string, menuItemId: string): Promise<void> {
    await this.call(() => this.redis.removeCartLine(cartKey(customerId), itemField(menuItemId), this.ttlSeconds));
  }

  async clear(customerId: string): Promise<void> {
    await this.call(() => this.redis.del(cartKey(customerId)));
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw dependencyUnavailable('The cart store', err);
    }
  }
}
