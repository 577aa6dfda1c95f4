import { type AuthUser, type Database, forbidden, notFound } from '@foodflow/platform';
import type { DeliveryRecord, DeliveryRepository, LocationFix } from '../deliveries/delivery.repository.js';
import type { OrderCopy, OrderCopyRepository } from '../orders/order-copy.repository.js';
import type { OrderClient } from '../orders/order.client.js';
import { etaMinutes } from './eta.js';

/** The contract's `tracking`: where an order stands and, once it has a driver, where they are. */
export interface Tracking {
  orderId: string;
  status: string;
  deliveryId: string | null;
  deliveryStatus: string | null;
  driver: { id: string; firstName: string } | null;
  location: { lat: number; lng: number; at: string } | null;
  etaMinutes: number | null;
}

export interface TrackingDeps {
  db: Database;
  orders: OrderCopyRepository;
  /** Asked only when the copy has no row for the order yet. */
  orderService: OrderClient;
  deliveries: DeliveryRepository;
  averageSpeedKmh: number;
}

/** One rule for REST and sockets: the order's customer, its restaurant's owner, its driver, or an admin. */
export class TrackingService {
  constructor(private readonly deps: TrackingDeps) {}

  async get(user: AuthUser, orderId: string): Promise<Tracking> {
    const order = await this.authorize(user, orderId);
    return this.tracking(order, await this.deps.deliveries.findByOrder(this.deps.db, orderId));
  }

  /** Throws NOT_FOUND for an unknown order and FORBIDDEN for someone else's; returns the order. */
  async authorize(user: AuthUser, orderId: string): Promise<OrderCopy> {
    const { db, deliveries } = this.deps;
    const order = await this.order(orderId);
    if (this.isParty(user, order)) return order;
    if (user.role === 'driver' && (await deliveries.findByOrder(db, orderId))?.driverId === user.id) return order;
    throw forbidden('Only the people involved in an order can track it');
  }

  /**
   * The order as it stands now, read after the caller has joined its room so no later change is missed;
   * `authorized` is the order `authorize` returned. While the copy still lacks the order, that answer is
   * used again rather than asking the order service twice: no event of the order has been applied yet, so
   * every change since reaches the room as its event is.
   */
  async snapshot(authorized: OrderCopy): Promise<Tracking> {
    const { db, orders, deliveries } = this.deps;
    const [copied, delivery] = await Promise.all([
      orders.find(db, authorized.id),
      deliveries.findByOrder(db, authorized.id),
    ]);
    return this.tracking(copied ?? authorized, delivery);
  }

  /**
   * The copy's order or, in the moment after checkout before `order.created` has reached the copy, the
   * order service's. That answer is not written to the copy: the copy is the events' alone, and the hub
   * decides from it which changes to announce.
   */
  private async order(orderId: string): Promise<OrderCopy> {
    const { db, orders, orderService } = this.deps;
    const order = (await orders.find(db, orderId)) ?? (await orderService.find(orderId));
    if (!order) throw notFound('Order');
    return order;
  }

  private tracking(order: OrderCopy, delivery: DeliveryRecord | undefined): Tracking {
    const none = { deliveryId: null, deliveryStatus: null, driver: null, location: null, etaMinutes: null };
    if (!delivery?.driverId) return { orderId: order.id, status: order.status, ...none };
    // The latest position in the history, read with the delivery: every update is stored before it is pushed.
    const position = delivery.lastLocation;
    return {
      orderId: order.id,
      status: order.status,
      deliveryId: delivery.id,
      deliveryStatus: delivery.status,
      driver: { id: delivery.driverId, firstName: delivery.driverFirstName ?? '' },
      location: position ? { lat: position.lat, lng: position.lng, at: position.at.toISOString() } : null,
      etaMinutes: position ? this.eta(delivery, position) : null,
    };
  }

  private isParty(user: AuthUser, order: OrderCopy): boolean {
    switch (user.role) {
      case 'admin':
        return true;
      case 'customer':
        return order.customerId === user.id;
      case 'restaurant_owner':
        return order.restaurantOwnerId === user.id;
      case 'driver':
        return order.driverId === user.id;
    }
  }

  private eta(delivery: DeliveryRecord, position: LocationFix): number | null {
    const here = { lat: position.lat, lng: position.lng };
    const { averageSpeedKmh } = this.deps;
    if (delivery.status === 'assigned') {
      return etaMinutes([here, delivery.pickup, delivery.dropoff], position.speedKmh, averageSpeedKmh);
    }
    if (delivery.status === 'picked_up')
      return etaMinutes([here, delivery.dropoff], position.speedKmh, averageSpeedKmh);
    return null;
  }
}
