export type PaymentMethod = 'card' | 'cash';
export type PaymentStatus = 'pending' | 'authorized' | 'captured' | 'voided';

export interface AuthorizationRequest {
  cardToken: string;
  amountCents: number;
  currency: string;
  /** Lets the provider recognise a retried authorization and answer it without charging twice. */
  idempotencyKey: string;
}

export type AuthorizationResult = { approved: true; reference: string } | { approved: false; reason: string };

/** The card network as this service needs it: hold money at checkout, take it on delivery or release it. */
export interface PaymentProvider {
  authorize(request: AuthorizationRequest): Promise<AuthorizationResult>;
  /** Idempotent: capturing a captured authorization succeeds again. */
  capture(reference: string): Promise<void>;
  /** Idempotent: voiding a voided authorization succeeds again. */
  void(reference: string): Promise<void>;
}
