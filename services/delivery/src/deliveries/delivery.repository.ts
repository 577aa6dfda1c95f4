import type { Database, DeliveryStatus, LatLng, TraceCarrier } from '@foodflow/platform';

/** A pool (`Database`) or a transaction's client: anything that runs a parameterized statement. */
export type Sql = Pick<Database, 'query'>;

export interface LocationFix {
  lat: number;
  lng: number;
  heading: number | null;
  speedKmh: number | null;
  at: Date;
}

/** A position a driver reports on one of their deliveries. */
export interface DriverFix extends Omit<LocationFix, 'at'> {
  deliveryId: string;
  driverId: string;
}

/** Where a fix was stored: its delivery's order, and the time it was recorded at. */
export interface StoredFix {
  orderId: string;
  at: Date;
}

export interface DeliveryRecord {
  id: string;
  orderId: string;
  driverId: string | null;
  driverFirstName: string | null;
  status: DeliveryStatus;
  pickup: LatLng;
  dropoff: LatLng;
  assignedAt: Date | null;
  pickedUpAt: Date | null;
  deliveredAt: Date | null;
  cancelledAt: Date | null;
  createdAt: Date;
  lastLocation: LocationFix | null;
}

/** A delivery as a step left it, with its order's trace (kept by the order's copy) for the step's event. */
export interface SteppedDelivery extends DeliveryRecord {
  orderTrace: TraceCarrier | null;
}

interface DeliveryRow {
  id: string;
  order_id: string;
  driver_id: string | null;
  driver_first_name: string | null;
  status: DeliveryStatus;
  pickup_lat: number;
  pickup_lng: number;
  dropoff_lat: number;
  dropoff_lng: number;
  assigned_at: Date | null;
  picked_up_at: Date | null;
  delivered_at: Date | null;
  cancelled_at: Date | null;
  created_at: Date;
  last_lat?: number | null;
  last_lng?: number | null;
  last_heading?: number | null;
  last_speed_kmh?: number | null;
  last_at?: Date | null;
  order_trace?: TraceCarrier | null;
}

const toRecord = (row: DeliveryRow): DeliveryRecord => ({
  id: row.id,
  orderId: row.order_id,
  driverId: row.driver_id,
  driverFirstName: row.driver_first_name,
  status: row.status,
  pickup: { lat: row.pickup_lat, lng: row.pickup_lng },
  dropoff: { lat: row.dropoff_lat, lng: row.dropoff_lng },
  assignedAt: row.assigned_at,
  pickedUpAt: row.picked_up_at,
  deliveredAt: row.delivered_at,
  cancelledAt: row.cancelled_at,
  createdAt: row.created_at,
  lastLocation:
    // The location columns come from a left join: all set when a position exists, all null otherwise.
    row.last_at
      ? {
          lat: Number(row.last_lat),
          lng: Number(row.last_lng),
          heading: row.last_heading ?? null,
          speedKmh: row.last_speed_kmh ?? null,
          at: row.last_at,
        }
      : null,
});

const toStepped = (row: DeliveryRow): SteppedDelivery => ({ ...toRecord(row), orderTrace: row.order_trace ?? null });

/** What a step's statement returns: the delivery as it left it, and its order's trace. */
const RETURNING_STEPPED = `RETURNING *,
  (SELECT o.trace_context FROM orders o WHERE o.id = deliveries.order_id) AS order_trace`;

const ACTIVE = `status IN ('assigned', 'picked_up')`;

/** A delivery with its latest recorded position. */
const SELECT_WITH_LOCATION = `
  SELECT d.*, l.lat AS last_lat, l.lng AS last_lng, l.heading AS last_heading, l.speed_kmh AS last_speed_kmh,
         l.recorded_at AS last_at
    FROM deliveries d
    LEFT JOIN LATERAL (
      SELECT lat, lng, heading, speed_kmh, recorded_at FROM delivery_locations
       WHERE delivery_id = d.id ORDER BY recorded_at DESC, id DESC LIMIT 1
    ) l ON true`;

/**
 * Stores a batch of fixes (parallel arrays, numbered by their place) on the active deliveries of their
 * drivers, and answers the place, order and time of each one stored. Inserted in the order sent, so a
 * delivery's later fix gets the later id (the tie-break of equal times). Driver ids are compared as text:
 * they come from tokens, and one that is not a UUID must match nothing rather than fail the whole batch.
 * Run on every position update: prepared once per connection.
 */
const APPEND_LOCATIONS = `
  WITH accepted AS (
    SELECT f.n, f.delivery_id, f.lat, f.lng, f.heading, f.speed_kmh, d.order_id
      FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::float8[])
           WITH ORDINALITY AS f(delivery_id, driver_id, lat, lng, heading, speed_kmh, n)
      JOIN deliveries d ON d.id = f.delivery_id AND d.driver_id::text = f.driver_id AND d.${ACTIVE}
  ), saved AS (
    INSERT INTO delivery_locations (delivery_id, lat, lng, heading, speed_kmh, recorded_at)
    SELECT delivery_id, lat, lng, heading, speed_kmh, now() FROM accepted ORDER BY n
  )
  SELECT n::int, order_id, now() AS recorded_at FROM accepted`;

/** Advisory-lock namespace of driver assignment (the two-key form keeps it apart from other locks). */
const DRIVER_LOCK_SPACE = 3004;

export interface DeliveryFilter {
  driverId?: string;
  status?: DeliveryStatus;
  page: number;
  pageSize: number;
}

export class DeliveryRepository {
  async findById(db: Sql, id: string): Promise<DeliveryRecord | undefined> {
    const { rows } = await db.query<DeliveryRow>(`${SELECT_WITH_LOCATION} WHERE d.id = $1`, [id]);
    return rows[0] && toRecord(rows[0]);
  }

  async findByOrder(db: Sql, orderId: string): Promise<DeliveryRecord | undefined> {
    const { rows } = await db.query<DeliveryRow>(`${SELECT_WITH_LOCATION} WHERE d.order_id = $1`, [orderId]);
    return rows[0] && toRecord(rows[0]);
  }

  async list(db: Sql, filter: DeliveryFilter): Promise<{ items: DeliveryRecord[]; total: number }> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    if (filter.driverId) {
      values.push(filter.driverId);
      conditions.push(`d.driver_id = $${values.length}`);
    }
    if (filter.status) {
      values.push(filter.status);
      conditions.push(`d.status = $${values.length}`);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const count = await db.query<{ total: number }>(`SELECT count(*)::int AS total FROM deliveries d ${where}`, values);
    const { rows } = await db.query<DeliveryRow>(
      `${SELECT_WITH_LOCATION} ${where} ORDER BY d.created_at DESC, d.id
        LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      [...values, filter.pageSize, (filter.page - 1) * filter.pageSize],
    );
    return { items: rows.map(toRecord), total: count.rows[0]?.total ?? 0 };
  }

  /** A new delivery waiting for a driver; undefined when the order already has one. */
  async createAwaiting(
    db: Sql,
    input: { orderId: string; pickup: LatLng; dropoff: LatLng },
  ): Promise<DeliveryRecord | undefined> {
    const { rows } = await db.query<DeliveryRow>(
      `INSERT INTO deliveries (order_id, pickup_lat, pickup_lng, dropoff_lat, dropoff_lng)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (order_id) DO NOTHING
       RETURNING *`,
      [input.orderId, input.pickup.lat, input.pickup.lng, input.dropoff.lat, input.dropoff.lng],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /**
   * Claims the right to assign work to a driver until the transaction ends, without waiting: another
   * transaction already assigning to them makes this one move on to the next driver.
   */
  async tryLockDriver(db: Sql, driverId: string): Promise<boolean> {
    const { rows } = await db.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS locked',
      [DRIVER_LOCK_SPACE, driverId],
    );
    return rows[0]?.locked === true;
  }

  /** The drivers among `driverIds` who are carrying a delivery. */
  async busyDrivers(db: Sql, driverIds: string[]): Promise<Set<string>> {
    const { rows } = await db.query<{ driver_id: string }>(
      `SELECT driver_id FROM deliveries WHERE driver_id = ANY($1::uuid[]) AND ${ACTIVE}`,
      [driverIds],
    );
    return new Set(rows.map((r) => r.driver_id));
  }

  async anyAwaiting(db: Sql): Promise<boolean> {
    const { rows } = await db.query(`SELECT 1 FROM deliveries WHERE status = 'awaiting_driver' LIMIT 1`);
    return rows.length > 0;
  }

  /** The oldest delivery waiting within `radiusKm` of a point, locked; others' locked rows are skipped. */
  async lockOldestAwaitingNear(db: Sql, point: LatLng, radiusKm: number): Promise<DeliveryRecord | undefined> {
    const { rows } = await db.query<DeliveryRow>(
      `SELECT * FROM deliveries
        WHERE status = 'awaiting_driver'
          AND earth_distance(ll_to_earth(pickup_lat, pickup_lng), ll_to_earth($1, $2)) <= $3 * 1000
        ORDER BY created_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED`,
      [point.lat, point.lng, radiusKm],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /**
   * Gives a waiting delivery to a driver. The partial unique index on active deliveries per driver
   * rejects a second one (unique violation), whichever instance tries.
   */
  async assign(db: Sql, id: string, driver: { id: string; firstName: string }): Promise<SteppedDelivery | undefined> {
    const { rows } = await db.query<DeliveryRow>(
      `UPDATE deliveries SET status = 'assigned', driver_id = $2, driver_first_name = $3, assigned_at = now()
        WHERE id = $1 AND status = 'awaiting_driver'
        ${RETURNING_STEPPED}`,
      [id, driver.id, driver.firstName],
    );
    return rows[0] && toStepped(rows[0]);
  }

  /** Moves the driver's delivery one step (compare-and-set on the current status). */
  async advance(
    db: Sql,
    id: string,
    driverId: string,
    from: DeliveryStatus,
    to: 'picked_up' | 'delivered',
  ): Promise<SteppedDelivery | undefined> {
    const stamp = to === 'picked_up' ? 'picked_up_at' : 'delivered_at';
    const { rows } = await db.query<DeliveryRow>(
      `UPDATE deliveries SET status = $4, ${stamp} = now()
        WHERE id = $1 AND driver_id = $2 AND status = $3
        ${RETURNING_STEPPED}`,
      [id, driverId, from, to],
    );
    return rows[0] && toStepped(rows[0]);
  }

  /** Cancels the order's delivery unless it is already over; returns it as it was cancelled. */
  async cancelForOrder(db: Sql, orderId: string): Promise<DeliveryRecord | undefined> {
    const { rows } = await db.query<DeliveryRow>(
      `UPDATE deliveries SET status = 'cancelled', cancelled_at = now()
        WHERE order_id = $1 AND status IN ('awaiting_driver', 'assigned', 'picked_up')
        RETURNING *`,
      [orderId],
    );
    return rows[0] && toRecord(rows[0]);
  }

  /**
   * Appends positions to the histories of deliveries their drivers are carrying, in one statement that
   * also checks who and when: a fix is stored only if its delivery is active and assigned to its driver.
   * Answers, in the order given, where each fix was stored (its order and time), or undefined.
   */
  async appendLocations(db: Sql, fixes: DriverFix[]): Promise<(StoredFix | undefined)[]> {
    const column = <K extends keyof DriverFix>(key: K): DriverFix[K][] => fixes.map((f) => f[key]);
    const { rows } = await db.query<{ n: number; order_id: string; recorded_at: Date }>(
      { name: 'deliveries.append-locations', text: APPEND_LOCATIONS },
      [column('deliveryId'), column('driverId'), column('lat'), column('lng'), column('heading'), column('speedKmh')],
    );
    const stored: (StoredFix | undefined)[] = fixes.map(() => undefined);
    for (const row of rows) stored[row.n - 1] = { orderId: row.order_id, at: row.recorded_at };
    return stored;
  }

  async purgeLocationsOlderThan(db: Sql, hours: number): Promise<number> {
    const { rowCount } = await db.query(
      'DELETE FROM delivery_locations WHERE recorded_at < now() - make_interval(hours => $1)',
      [hours],
    );
    return rowCount ?? 0;
  }
}
