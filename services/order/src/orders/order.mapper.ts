import { type DeliveryAddress, type OrderLine, type OrderStatus } from '@foodflow/platform';
import type { Order, StatusChange } from './order.repository.js';

export interface OrderResponse {
  id: string;
  customerId: string;
  restaurantId: string;
  driverId: string | null;
  status: OrderStatus;
  items: OrderLine[];
  subtotalCents: number;
  deliveryFeeCents: number;
  totalCents: number;
  currency: string;
  deliveryAddress: DeliveryAddress;
  payment: Order['payment'];
  notes: string | null;
  statusHistory: StatusChange[];
  createdAt: string;
  updatedAt: string;
}

export const toOrderResponse = (order: Order): OrderResponse => ({
  id: order.id,
  customerId: order.customerId,
  restaurantId: order.restaurantId,
  driverId: order.driverId,
  status: order.status,
  items: order.items,
  subtotalCents: order.subtotalCents,
  deliveryFeeCents: order.deliveryFeeCents,
  totalCents: order.totalCents,
  currency: order.currency,
  deliveryAddress: order.deliveryAddress,
  payment: order.payment,
  notes: order.notes,
  statusHistory: order.statusHistory,
  createdAt: order.createdAt.toISOString(),
  updatedAt: order.updatedAt.toISOString(),
});

/** Who may follow an order and where it stands: what the delivery service tracks it by. */
export interface OrderParties {
  id: string;
  customerId: string;
  restaurantId: string;
  restaurantOwnerId: string;
  status: OrderStatus;
  driverId: string | null;
}

export const toOrderParties = (order: Order): OrderParties => ({
  id: order.id,
  customerId: order.customerId,
  restaurantId: order.restaurantId,
  restaurantOwnerId: order.restaurantOwnerId,
  status: order.status,
  driverId: order.driverId,
});
