import { currentTraceCarrier, type OrderRef, type OrderStatus } from '@foodflow/platform';
import type { Sql } from '../deliveries/delivery.repository.js';

/** How far along an order is; events may arrive out of order, and the copy only ever moves forward. */
const STATUS_RANK: Record<OrderStatus, number> = {
  pending: 0,
  confirmed: 1,
  preparing: 2,
  ready: 3,
  picked_up: 4,
  delivered: 5,
  cancelled: 5,
};

/** This service's copy of an order: who may follow it, and where it stands. */
export interface OrderCopy {
  id: string;
  customerId: string;
  restaurantId: string;
  restaurantOwnerId: string;
  status: OrderStatus;
  driverId: string | null;
}

interface OrderCopyRow {
  id: string;
  customer_id: string;
  restaurant_id: string;
  restaurant_owner_id: string;
  status: OrderStatus;
  driver_id: string | null;
}

const toOrderCopy = (row: OrderCopyRow): OrderCopy => ({
  id: row.id,
  customerId: row.customer_id,
  restaurantId: row.restaurant_id,
  restaurantOwnerId: row.restaurant_owner_id,
  status: row.status,
  driverId: row.driver_id,
});

export class OrderCopyRepository {
  async find(db: Sql, orderId: string): Promise<OrderCopy | undefined> {
    const { rows } = await db.query<OrderCopyRow>(
      `SELECT id, customer_id, restaurant_id, restaurant_owner_id, status, driver_id FROM orders WHERE id = $1`,
      [orderId],
    );
    return rows[0] && toOrderCopy(rows[0]);
  }

  /**
   * Creates the copy or moves it forward to `status`; a status older than the copy's is ignored. Returns
   * whether `status` is current: false when the copy had already moved past it (a late event). A new copy
   * keeps the trace of the event that made it, which is the order's (every event about an order continues
   * the trace of its checkout), for the delivery's own events.
   */
  async recordStatus(db: Sql, ref: OrderRef, status: OrderStatus): Promise<boolean> {
    await db.query(
      `INSERT INTO orders (id, customer_id, restaurant_id, restaurant_owner_id, status, status_rank, trace_context)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, status_rank = EXCLUDED.status_rank
        WHERE orders.status_rank < EXCLUDED.status_rank`,
      [
        ref.orderId,
        ref.customerId,
        ref.restaurantId,
        ref.restaurantOwnerId,
        status,
        STATUS_RANK[status],
        currentTraceCarrier(),
      ],
    );
    // The upsert locked the row, so this reads the copy as this transaction leaves it.
    const { rows } = await db.query<{ status: OrderStatus }>('SELECT status FROM orders WHERE id = $1', [ref.orderId]);
    return rows[0]?.status === status;
  }

  async recordDriver(db: Sql, orderId: string, driverId: string): Promise<void> {
    await db.query('UPDATE orders SET driver_id = $2 WHERE id = $1', [orderId, driverId]);
  }
}
