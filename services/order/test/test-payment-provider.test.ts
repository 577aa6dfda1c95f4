import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TestPaymentProvider } from '../src/payments/test-payment-provider.js';

const authorize = (provider: TestPaymentProvider) =>
  provider.authorize({ cardToken: 'tok_visa', amountCents: 2500, currency: 'USD', idempotencyKey: randomUUID() });

describe('the built-in test card network', () => {
  it('when the order service restarts between authorizing and capturing, then the capture still succeeds', async () => {
    const before = await authorize(new TestPaymentProvider());
    expect(before.approved).toBe(true);
    const afterRestart = new TestPaymentProvider();
    await afterRestart.capture((before as { reference: string }).reference);
    expect(afterRestart.ledger()).toEqual([expect.objectContaining({ state: 'captured' })]);
  });

  it('when another instance voids an authorization, then it is voided, and capturing it afterwards is refused', async () => {
    const { reference } = (await authorize(new TestPaymentProvider())) as { reference: string };
    const other = new TestPaymentProvider();
    await other.void(reference);
    await expect(other.capture(reference)).rejects.toThrow(/already voided/);
  });

  it('when a reference was never issued by this network, then settling it is refused', async () => {
    await expect(new TestPaymentProvider().capture('ch_someone_else')).rejects.toThrow(/Unknown authorization/);
  });
});
