/**
 * The data each event carries, per routing key (the contract's Events section). Publishers build these,
 * consumers read them; both import them from here so the two sides cannot drift apart.
 */
/** Order statuses, in the order an order moves through them; `cancelled` ends it early. */
export const ORDER_STATUSES = [
  'pending',
  'confirmed',
  'preparing',
  'ready',
  'picked_up',
  'delivered',
  'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const DELIVERY_STATUSES = ['awaiting_driver', 'assigned', 'picked_up', 'delivered', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface LatLng {
  lat: number;
  lng: number;
}

export interface OrderRef {
  orderId: string;
  customerId: string;
  restaurantId: string;
  restaurantOwnerId: string;
}

export interface OrderLine {
  menuItemId: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
}

export interface DeliveryAddress {
  label: string;
  street: string;
  city: string;
  postalCode: string;
  location: LatLng;
}

export interface OrderCreated extends OrderRef {
  items: OrderLine[];
  totalCents: number;
  currency: string;
  deliveryAddress: DeliveryAddress;
}

export interface OrderReady extends OrderRef {
  pickup: LatLng;
  dropoff: LatLng;
}

export interface OrderCancelled extends OrderRef {
  reason: string | null;
  by: string;
}

export interface OrderWithDriver extends OrderRef {
  driverId: string;
}

export interface DeliveryEvent {
  deliveryId: string;
  orderId: string;
  driverId: string;
}

export interface EventData {
  'order.created': OrderCreated;
  'order.confirmed': OrderRef;
  'order.preparing': OrderRef;
  'order.ready': OrderReady;
  'order.cancelled': OrderCancelled;
  'order.picked_up': OrderWithDriver;
  'order.delivered': OrderWithDriver;
  'delivery.assigned': DeliveryEvent;
  'delivery.picked_up': DeliveryEvent;
  'delivery.delivered': DeliveryEvent;
}

export type EventType = keyof EventData;
