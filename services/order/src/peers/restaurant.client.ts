import { guardPeerCall, InternalClient, type LatLng, type Logger } from '@foodflow/platform';

export interface PricedRestaurant {
  restaurantId: string;
  ownerId: string;
  name: string;
  location: LatLng;
  currency: string;
  deliveryFeeCents: number;
  minOrderCents: number;
  isOpen: boolean;
  isAcceptingOrders: boolean;
}

export interface PricedLine {
  menuItemId: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
  isAvailable: boolean;
}

export interface Pricing {
  restaurant: PricedRestaurant;
  lines: PricedLine[];
}

export interface PricingRequestLine {
  menuItemId: string;
  quantity: number;
}

/** The restaurant service as this service sees it: the authoritative price list, behind a circuit breaker. */
export class RestaurantClient {
  private readonly pricing;

  constructor(options: { baseUrl: string; secret: string; timeoutMs: number; resetMs: number; logger: Logger }) {
    const client = new InternalClient({
      baseUrl: options.baseUrl,
      caller: 'order-service',
      target: 'restaurant-service',
      secret: options.secret,
      timeoutMs: options.timeoutMs,
    });
    this.pricing = guardPeerCall(
      (items: PricingRequestLine[]) => client.post<Pricing>('/internal/pricing', { items }),
      {
        peer: 'restaurant service',
        timeoutMs: options.timeoutMs,
        resetMs: options.resetMs,
        logger: options.logger,
      },
    );
  }

  /** Current names, prices and availability of the given lines, and the restaurant they all belong to. */
  price(items: PricingRequestLine[]): Promise<Pricing> {
    return this.pricing.fire(items);
  }

  close(): void {
    this.pricing.shutdown();
  }
}
