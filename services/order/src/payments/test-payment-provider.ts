import { randomUUID } from 'node:crypto';
import type { AuthorizationRequest, AuthorizationResult, PaymentProvider } from './payment-provider.js';

/** Card tokens the test provider understands, after the well-known ones of public card test modes. */
export const TEST_CARD_TOKENS = { approved: 'tok_visa', declined: 'tok_chargeDeclined' } as const;

const REFERENCE_PREFIX = 'test_auth_';

export interface TestCharge {
  reference: string;
  amountCents: number;
  currency: string;
  state: 'authorized' | 'captured' | 'voided';
}

/**
 * A built-in provider for development and tests that behaves like a card network's test mode: `tok_visa`
 * is approved, every other token is declined. Its ledger lives in this process's memory, while a real
 * network remembers every authorization: so a well-formed reference this process has not seen (issued
 * before a restart, or by another instance) is settled as the network would settle it, not refused.
 */
export class TestPaymentProvider implements PaymentProvider {
  private readonly charges = new Map<string, TestCharge>();
  private readonly byIdempotencyKey = new Map<string, AuthorizationResult>();

  async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
    const previous = this.byIdempotencyKey.get(request.idempotencyKey);
    if (previous) return previous;
    let result: AuthorizationResult;
    if (request.cardToken === TEST_CARD_TOKENS.approved) {
      const reference = `${REFERENCE_PREFIX}${randomUUID()}`;
      this.charges.set(reference, {
        reference,
        amountCents: request.amountCents,
        currency: request.currency,
        state: 'authorized',
      });
      result = { approved: true, reference };
    } else if (request.cardToken === TEST_CARD_TOKENS.declined) {
      result = { approved: false, reason: 'The card was declined' };
    } else {
      result = { approved: false, reason: 'The card token is not recognised' };
    }
    this.byIdempotencyKey.set(request.idempotencyKey, result);
    return result;
  }

  async capture(reference: string): Promise<void> {
    this.settle(reference, 'captured');
  }

  async void(reference: string): Promise<void> {
    this.settle(reference, 'voided');
  }

  /** Every authorization made so far, as the test mode dashboard of a card network would list them. */
  ledger(): TestCharge[] {
    return [...this.charges.values()].map((charge) => ({ ...charge }));
  }

  private settle(reference: string, state: 'captured' | 'voided'): void {
    if (!this.charges.has(reference) && reference.startsWith(REFERENCE_PREFIX)) {
      this.charges.set(reference, { reference, amountCents: 0, currency: '', state: 'authorized' });
    }
    const charge = this.charges.get(reference);
    if (!charge) throw new Error(`Unknown authorization ${reference}`);
    if (charge.state !== 'authorized' && charge.state !== state) {
      throw new Error(`Authorization ${reference} is already ${charge.state}`);
    }
    charge.state = state;
  }
}
