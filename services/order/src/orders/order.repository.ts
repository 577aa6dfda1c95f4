import {
  type DeliveryAddress,
  type EventEnvelope,
  type LatLng,
  type OrderLine,
  type OrderStatus,
  type TraceCarrier,
} from '@foodflow/platform';
import { answerValues, INSERT_ANSWER, type KeyAnswer } from '../idempotency/idempotency.repository.js';
import type { SqlClient } from '../sql-client.js';
import type { PaymentMethod, PaymentStatus } from '../payments/payment-provider.js';
import type { ChangedBy } from './order-status.js';

export interface StatusChange {
  status: OrderStatus;
  at: string;
  by: ChangedBy;
}

export interface NewOrder {
  customerId: string;
  restaurantId: string;
  restaurantOwnerId: string;
  items: OrderLine[];
  subtotalCents: number;
  deliveryFeeCents: number;
  totalCents: number;
  currency: string;
  pickupLocation: LatLng;
  deliveryAddress: DeliveryAddress;
  notes: string | null;
}

export interface Order extends NewOrder {
  id: string;
  driverId: string | null;
  deliveryId: string | null;
  status: OrderStatus;
  cancelReason: string | null;
  statusHistory: StatusChange[];
  payment: { method: PaymentMethod; status: PaymentStatus };
  /** The W3C context of its checkout, which every later event about it continues; null if none was kept. */
  traceContext: TraceCarrier | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Whose orders a listing shows: everyone's, or those whose column equals the caller's id. */
export type OrderScope = { column: 'customer_id' | 'restaurant_owner_id' | 'driver_id'; userId: string } | null;

interface OrderRow {
  id: string;
  customer_id: string;
  restaurant_id: string;
  restaurant_owner_id: string;
  driver_id: string | null;
  delivery_id: string | null;
  status: OrderStatus;
  items: OrderLine[];
  subtotal_cents: number;
  delivery_fee_cents: number;
  total_cents: number;
  currency: string;
  pickup_location: LatLng;
  delivery_address: DeliveryAddress;
  notes: string | null;
  cancel_reason: string | null;
  status_history: StatusChange[];
  payment_method: PaymentMethod;
  payment_status: PaymentStatus;
  trace_context: TraceCarrier | null;
  created_at: Date;
  updated_at: Date;
}

const SELECT_ORDER = `
  SELECT o.id, o.customer_id, o.restaurant_id, o.restaurant_owner_id, o.driver_id, o.delivery_id, o.status,
         o.items, o.subtotal_cents, o.delivery_fee_cents, o.total_cents, o.currency, o.pickup_location,
         o.delivery_address, o.notes, o.cancel_reason, o.status_history, o.trace_context, o.created_at, o.updated_at,
         p.method AS payment_method, p.status AS payment_status
    FROM orders o JOIN payments p ON p.order_id = o.id`;

const toOrder = (row: OrderRow): Order => ({
  id: row.id,
  customerId: row.customer_id,
  restaurantId: row.restaurant_id,
  restaurantOwnerId: row.restaurant_owner_id,
  driverId: row.driver_id,
  deliveryId: row.delivery_id,
  status: row.status,
  items: row.items,
  subtotalCents: row.subtotal_cents,
  deliveryFeeCents: row.delivery_fee_cents,
  totalCents: row.total_cents,
  currency: row.currency,
  pickupLocation: row.pickup_location,
  deliveryAddress: row.delivery_address,
  notes: row.notes,
  cancelReason: row.cancel_reason,
  statusHistory: row.status_history,
  payment: { method: row.payment_method, status: row.payment_status },
  traceContext: row.trace_context,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** A new order as checkout makes it, with everything that must be written with it. */
export interface PlacedOrder {
  order: Order;
  /** The card network's authorization id; null for cash. */
  providerReference: string | null;
  /** `order.created`, for the outbox. */
  event: EventEnvelope;
  /** The checkout's Idempotency-Key answer. */
  answer: KeyAnswer;
}

/**
 * Writes a placed order (with its trace, the checkout's), its payment, its event in the outbox and its
 * Idempotency-Key answer in one statement, so all of it commits together (or none of it) in one round trip.
 * The key's answer is written first and the rest only from its row: when the key already has a live answer
 * (another request with the same key got there first), nothing is written and the result is false.
 */
export async function insertPlacedOrder(
  client: SqlClient,
  { order, providerReference, event, answer }: PlacedOrder,
): Promise<boolean> {
  // Parameters are cast: in INSERT … SELECT their types come from the casts, not from the columns.
  const { rows } = await client.query<{ placed: number }>({
    name: 'orders.insert-placed',
    text: `WITH answered AS (${INSERT_ANSWER}
     ), placed AS (
       INSERT INTO orders (id, customer_id, restaurant_id, restaurant_owner_id, status, items, subtotal_cents,
                           delivery_fee_cents, total_cents, currency, pickup_location, delivery_address, notes,
                           status_history, trace_context, created_at, updated_at)
       SELECT $7::uuid, $8::uuid, $9::uuid, $10::uuid, $11::text, $12::jsonb, $13::integer, $14::integer,
              $15::integer, $16::char(3), $17::jsonb, $18::jsonb, $19::text, $20::jsonb, $29::jsonb,
              $21::timestamptz, $21::timestamptz
         FROM answered
       RETURNING id
     ), paid AS (
       INSERT INTO payments (order_id, method, status, amount_cents, currency, provider_reference, created_at,
                             updated_at)
       SELECT id, $22::text, $23::text, $15::integer, $16::char(3), $24::text, $21::timestamptz, $21::timestamptz
         FROM placed
     ), announced AS (
       INSERT INTO outbox (id, type, payload, created_at, trace_context)
       SELECT $25::uuid, $26::text, $27::jsonb, $28::timestamptz, $29::jsonb FROM placed
     )
     SELECT count(*) AS placed FROM placed`,
    values: [
      ...answerValues(answer),
      order.id,
      order.customerId,
      order.restaurantId,
      order.restaurantOwnerId,
      order.status,
      JSON.stringify(order.items),
      order.subtotalCents,
      order.deliveryFeeCents,
      order.totalCents,
      order.currency,
      JSON.stringify(order.pickupLocation),
      JSON.stringify(order.deliveryAddress),
      order.notes,
      JSON.stringify(order.statusHistory),
      order.createdAt,
      order.payment.method,
      order.payment.status,
      providerReference,
      event.id,
      event.type,
      JSON.stringify(event),
      event.occurredAt,
      order.traceContext,
    ],
  });
  return rows[0]?.placed === 1;
}

export async function findOrder(client: SqlClient, id: string): Promise<Order | undefined> {
  const { rows } = await client.query<OrderRow>(`${SELECT_ORDER} WHERE o.id = $1`, [id]);
  return rows[0] && toOrder(rows[0]);
}

export async function listOrders(
  client: SqlClient,
  filter: { scope: OrderScope; status: OrderStatus | undefined; limit: number; offset: number },
): Promise<{ orders: Order[]; total: number }> {
  const conditions: string[] = [];
  const values: unknown[] = [];
  if (filter.scope) {
    values.push(filter.scope.userId);
    conditions.push(`o.${filter.scope.column} = $${values.length}`);
  }
  if (filter.status) {
    values.push(filter.status);
    conditions.push(`o.status = $${values.length}`);
  }
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const [page, count] = await Promise.all([
    client.query<OrderRow>(
      `${SELECT_ORDER} ${where} ORDER BY o.created_at DESC, o.id DESC LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      [...values, filter.limit, filter.offset],
    ),
    client.query<{ total: number }>(`SELECT count(*) AS total FROM orders o ${where}`, values),
  ]);
  return { orders: page.rows.map(toOrder), total: count.rows[0]?.total ?? 0 };
}

/**
 * Compare-and-set: moves the order from `from` to `to` only if it is still in `from`, appending the
 * history entry in the same statement. False means someone else changed the order first.
 */
export async function changeStatus(
  client: SqlClient,
  change: { orderId: string; from: OrderStatus; entry: StatusChange; cancelReason?: string | null; driverId?: string },
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE orders
        SET status = $3,
            status_history = status_history || $4::jsonb,
            cancel_reason = COALESCE($5, cancel_reason),
            driver_id = COALESCE($6, driver_id)
      WHERE id = $1 AND status = $2`,
    [
      change.orderId,
      change.from,
      change.entry.status,
      JSON.stringify([change.entry]),
      change.cancelReason ?? null,
      change.driverId ?? null,
    ],
  );
  return rowCount === 1;
}

/** Records the driver a delivery was assigned to, unless the order is already over. */
export async function assignDriver(
  client: SqlClient,
  assignment: { orderId: string; driverId: string; deliveryId: string },
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE orders SET driver_id = $2, delivery_id = $3
      WHERE id = $1 AND status NOT IN ('delivered', 'cancelled')`,
    [assignment.orderId, assignment.driverId, assignment.deliveryId],
  );
  return rowCount === 1;
}
