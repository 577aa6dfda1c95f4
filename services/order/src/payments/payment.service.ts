import { AppError } from '@foodflow/platform';
import type { SqlClient } from '../sql-client.js';
import { findPaymentForUpdate, updatePaymentStatus } from './payment.repository.js';
import type { PaymentMethod, PaymentProvider, PaymentStatus } from './payment-provider.js';

export type PaymentInput = { method: 'card'; cardToken: string } | { method: 'cash' };

export interface Authorization {
  method: PaymentMethod;
  status: PaymentStatus;
  providerReference: string | null;
}

/** Money for an order: held at checkout, taken on delivery, released on cancellation. */
export class PaymentService {
  constructor(private readonly provider: PaymentProvider) {}

  /** Holds the amount on the card (cash is simply pending); a refusal is 402 PAYMENT_DECLINED. */
  async authorize(
    input: PaymentInput,
    amount: { amountCents: number; currency: string },
    idempotencyKey: string,
  ): Promise<Authorization> {
    if (input.method === 'cash') return { method: 'cash', status: 'pending', providerReference: null };
    const result = await this.provider.authorize({ cardToken: input.cardToken, ...amount, idempotencyKey });
    if (!result.approved) throw new AppError('PAYMENT_DECLINED', result.reason);
    return { method: 'card', status: 'authorized', providerReference: result.reference };
  }

  /** Gives back a hold taken for an order that was then not created. */
  async release(authorization: Authorization): Promise<void> {
    if (authorization.providerReference) await this.provider.void(authorization.providerReference);
  }

  /** On delivery: the card hold is taken, cash counts as paid. Runs inside the status change's transaction. */
  capture(client: SqlClient, orderId: string): Promise<void> {
    return this.settle(client, orderId, 'captured');
  }

  /** On cancellation: the card hold is released, cash is no longer due. */
  void(client: SqlClient, orderId: string): Promise<void> {
    return this.settle(client, orderId, 'voided');
  }

  private async settle(client: SqlClient, orderId: string, outcome: 'captured' | 'voided'): Promise<void> {
    const payment = await findPaymentForUpdate(client, orderId);
    if (!payment || payment.status === outcome) return;
    // The provider is told first: if it fails, the transaction rolls back and the change is retried whole.
    if (payment.providerReference) {
      if (outcome === 'captured') await this.provider.capture(payment.providerReference);
      else await this.provider.void(payment.providerReference);
    }
    await updatePaymentStatus(client, orderId, outcome);
  }
}
