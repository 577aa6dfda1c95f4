import type { Database, Queryable } from '@foodflow/platform';
import { chordOf, earthPoint } from './earth.js';
import type { OpeningPeriod } from './opening-hours.js';
import type { ListQuery, RestaurantChanges, RestaurantInput, RestaurantSort } from './restaurant.schemas.js';

export interface RestaurantRow {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  cuisine: string;
  phone: string | null;
  street: string;
  city: string;
  postalCode: string;
  lat: number;
  lng: number;
  timeZone: string;
  openingHours: OpeningPeriod[];
  isAcceptingOrders: boolean;
  rating: number;
  deliveryFeeCents: number;
  minOrderCents: number;
  prepTimeMinutes: number;
  currency: string;
  /**
   * In a search near a point: the straight line through the earth from that point, in metres, in
   * earthdistance's model (`earth.ts`); null otherwise.
   */
  chordM?: number | null;
}

const COLUMNS = `id, owner_id AS "ownerId", name, description, cuisine, phone, street, city,
  postal_code AS "postalCode", lat, lng, time_zone AS "timeZone", opening_hours AS "openingHours",
  is_accepting_orders AS "isAcceptingOrders", rating, delivery_fee_cents AS "deliveryFeeCents",
  min_order_cents AS "minOrderCents", prep_time_minutes AS "prepTimeMinutes", currency`;

/** Column values of the writable fields that are present in `input`; `address` spans several columns. */
function columnValues(input: RestaurantChanges): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  const add = (column: string, value: unknown): void => {
    if (value !== undefined) pairs.push([column, value]);
  };
  add('name', input.name);
  add('description', input.description);
  add('cuisine', input.cuisine);
  add('phone', input.phone);
  if (input.address) {
    add('street', input.address.street);
    add('city', input.address.city);
    add('postal_code', input.address.postalCode);
    add('lat', input.address.location.lat);
    add('lng', input.address.location.lng);
  }
  add('time_zone', input.timeZone);
  add('opening_hours', input.openingHours === undefined ? undefined : JSON.stringify(input.openingHours));
  add('delivery_fee_cents', input.deliveryFeeCents);
  add('min_order_cents', input.minOrderCents);
  add('prep_time_minutes', input.prepTimeMinutes);
  add('is_accepting_orders', input.isAcceptingOrders);
  return pairs;
}

/**
 * Whether a restaurant is open at the instant `$now`, read in its own time zone. Hours are zero-padded
 * "HH:MM" strings, so a byte-wise ("C") comparison orders them, with "24:00" after every other time.
 */
const isOpenAt = (now: string): string => `(is_accepting_orders AND EXISTS (
  SELECT 1
  FROM jsonb_to_recordset(opening_hours) AS h(day int, open text, close text),
       LATERAL (SELECT (${now}::timestamptz AT TIME ZONE time_zone) AS local) AS l
  WHERE h.day = extract(dow FROM l.local)
    AND h.open COLLATE "C" <= to_char(l.local, 'HH24:MI')
    AND to_char(l.local, 'HH24:MI') < h.close COLLATE "C"))`;

const ORDER_BY: Record<RestaurantSort, string> = {
  rating: 'rating DESC, id',
  name: 'lower(name), id',
  popular: 'order_count DESC, id',
  // The straight line through the earth grows with the distance along its surface: it orders alike.
  distance: '"chordM", id',
};

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export class RestaurantRepository {
  constructor(private readonly db: Database) {}

  async insert(ownerId: string, input: RestaurantInput & { timeZone: string }): Promise<RestaurantRow> {
    const pairs: [string, unknown][] = [['owner_id', ownerId], ...columnValues(input)];
    const { rows } = await this.db.query<RestaurantRow>(
      `INSERT INTO restaurants (${pairs.map(([c]) => c).join(', ')})
       VALUES (${pairs.map((_, i) => `$${i + 1}`).join(', ')})
       RETURNING ${COLUMNS}`,
      pairs.map(([, v]) => v),
    );
    return rows[0] as RestaurantRow;
  }

  async update(id: string, changes: RestaurantChanges): Promise<RestaurantRow | undefined> {
    const pairs = columnValues(changes);
    const { rows } = await this.db.query<RestaurantRow>(
      `UPDATE restaurants SET ${pairs.map(([c], i) => `${c} = $${i + 2}`).join(', ')}
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, ...pairs.map(([, v]) => v)],
    );
    return rows[0];
  }

  /** From the replica when there is one, unless `fromPrimary` (checkout must see the latest hours and fees). */
  async findById(id: string, { fromPrimary = false } = {}): Promise<RestaurantRow | undefined> {
    const sql = `SELECT ${COLUMNS} FROM restaurants WHERE id = $1`;
    const { rows } = fromPrimary
      ? await this.db.query<RestaurantRow>(sql, [id])
      : await this.db.read<RestaurantRow>(sql, [id]);
    return rows[0];
  }

  /** Read on the primary: it guards writes, which must see a restaurant created a moment ago. */
  async ownerOf(id: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ ownerId: string }>(
      'SELECT owner_id AS "ownerId" FROM restaurants WHERE id = $1',
      [id],
    );
    return rows[0]?.ownerId;
  }

  /**
   * One page of the search and the total number of matches. `q` is a substring match on the lower-cased
   * search text (served by its trigram index); `near` a bounding cube on the earth (served by the GiST
   * index on the location) refined by the distance, both in earthdistance's model (see `earth.ts`).
   */
  async search(query: ListQuery & { radiusKm: number }, now: Date): Promise<{ rows: RestaurantRow[]; total: number }> {
    const values: unknown[] = [];
    const param = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    const where: string[] = [];
    let chord = 'NULL::double precision';
    if (query.q) where.push(`search_text LIKE ${param(`%${escapeLike(query.q.toLowerCase())}%`)}`);
    if (query.cuisine) where.push(`cuisine = ${param(query.cuisine)}`);
    if (query.ownerId) where.push(`owner_id = ${param(query.ownerId)}`);
    if (query.minRating !== undefined) where.push(`rating >= ${param(query.minRating)}`);
    if (query.isOpen !== undefined) where.push(`${isOpenAt(param(now.toISOString()))} = ${param(query.isOpen)}`);
    if (query.near) {
      const centre = `${param(earthPoint(query.near))}::cube`;
      const radius = param(chordOf(query.radiusKm * 1000));
      chord = `cube_distance(${centre}, earth_location)`;
      where.push(`cube_enlarge(${centre}, ${radius}, 3) @> earth_location`, `${chord} <= ${radius}`);
    }
    const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    const offset = (query.page - 1) * query.pageSize;
    const { rows } = await this.db.read<RestaurantRow & { total: number }>(
      `SELECT ${COLUMNS}, ${chord} AS "chordM", count(*) OVER () AS total
       FROM restaurants ${filter}
       ORDER BY ${ORDER_BY[query.sort]}
       LIMIT ${param(query.pageSize)} OFFSET ${param(offset)}`,
      values,
    );
    if (rows.length === 0 && offset > 0) {
      // Past the last page the window count has no row to ride on.
      const counted = await this.db.read<{ total: number }>(
        `SELECT count(*) AS total FROM restaurants ${filter}`,
        values.slice(0, -2),
      );
      return { rows: [], total: counted.rows[0]?.total ?? 0 };
    }
    // Each row keeps its copy of the count: the mapper reads only what it needs, and a copy of every row
    // without it would cost more than it is worth.
    return { rows, total: rows[0]?.total ?? 0 };
  }

  /** Counts one more order for the restaurant; false when no such restaurant exists here. */
  async countOrder(client: Queryable, restaurantId: string): Promise<boolean> {
    const { rowCount } = await client.query('UPDATE restaurants SET order_count = order_count + 1 WHERE id = $1', [
      restaurantId,
    ]);
    return rowCount === 1;
  }
}
