import { guardPeerCall, InternalClient, type LatLng, type Logger } from '@foodflow/platform';

export interface SavedAddress {
  id: string;
  label: string;
  street: string;
  city: string;
  postalCode: string;
  location: LatLng;
  isDefault: boolean;
}

/** The user service as this service sees it: a customer's saved addresses, behind a circuit breaker. */
export class UserClient {
  private readonly address;

  constructor(options: { baseUrl: string; secret: string; timeoutMs: number; resetMs: number; logger: Logger }) {
    const client = new InternalClient({
      baseUrl: options.baseUrl,
      caller: 'order-service',
      target: 'user-service',
      secret: options.secret,
      timeoutMs: options.timeoutMs,
    });
    this.address = guardPeerCall(
      (userId: string, addressId: string) =>
        client.get<SavedAddress>(
          `/internal/users/${encodeURIComponent(userId)}/addresses/${encodeURIComponent(addressId)}`,
        ),
      { peer: 'user service', timeoutMs: options.timeoutMs, resetMs: options.resetMs, logger: options.logger },
    );
  }

  /** One of the user's saved addresses; 404 NOT_FOUND when the user has no such address. */
  savedAddress(userId: string, addressId: string): Promise<SavedAddress> {
    return this.address.fire(userId, addressId);
  }

  close(): void {
    this.address.shutdown();
  }
}
