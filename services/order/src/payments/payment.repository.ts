import type { SqlClient } from '../sql-client.js';
import type { PaymentMethod, PaymentStatus } from './payment-provider.js';

export interface Payment {
  orderId: string;
  method: PaymentMethod;
  status: PaymentStatus;
  amountCents: number;
  currency: string;
  providerReference: string | null;
}

interface PaymentRow {
  order_id: string;
  method: PaymentMethod;
  status: PaymentStatus;
  amount_cents: number;
  currency: string;
  provider_reference: string | null;
}

const toPayment = (row: PaymentRow): Payment => ({
  orderId: row.order_id,
  method: row.method,
  status: row.status,
  amountCents: row.amount_cents,
  currency: row.currency,
  providerReference: row.provider_reference,
});

/** The order's payment, locked until the transaction ends so two settlements cannot interleave. */
export async function findPaymentForUpdate(client: SqlClient, orderId: string): Promise<Payment | undefined> {
  const { rows } = await client.query<PaymentRow>(
    `SELECT order_id, method, status, amount_cents, currency, provider_reference
       FROM payments WHERE order_id = $1 FOR UPDATE`,
    [orderId],
  );
  return rows[0] && toPayment(rows[0]);
}

export async function updatePaymentStatus(client: SqlClient, orderId: string, status: PaymentStatus): Promise<void> {
  await client.query('UPDATE payments SET status = $2 WHERE order_id = $1', [orderId, status]);
}
