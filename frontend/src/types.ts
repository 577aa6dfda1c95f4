/** The shapes of the public API this app reads (see the platform's API contract). */

export type Role = 'customer' | 'restaurant_owner' | 'driver' | 'admin';

export interface LatLng {
  lat: number;
  lng: number;
}

export interface User {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: Role;
  createdAt: string;
}

export interface AuthResult {
  user: User;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface Page<T> {
  data: T[];
  page: number;
  pageSize: number;
  total: number;
}

export interface Address {
  id: string;
  label: string;
  street: string;
  city: string;
  postalCode: string;
  location: LatLng;
  isDefault: boolean;
}

export type NewAddress = Omit<Address, 'id'>;

export interface Restaurant {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  cuisine: string;
  phone: string | null;
  address: { street: string; city: string; postalCode: string; location: LatLng };
  isAcceptingOrders: boolean;
  isOpen: boolean;
  rating: number;
  deliveryFeeCents: number;
  minOrderCents: number;
  prepTimeMinutes: number;
  distanceKm?: number;
}

export interface MenuItem {
  id: string;
  categoryId: string;
  restaurantId: string;
  name: string;
  description: string | null;
  priceCents: number;
  isAvailable: boolean;
  imageUrl: string | null;
}

/** What an owner sends to open a restaurant (see the contract's `POST /api/restaurants`). */
export interface RestaurantInput {
  name: string;
  description?: string;
  cuisine: string;
  phone?: string;
  address: Restaurant['address'];
  timeZone?: string;
  openingHours: { day: number; open: string; close: string }[];
  deliveryFeeCents: number;
  minOrderCents: number;
  prepTimeMinutes: number;
  isAcceptingOrders?: boolean;
}

export interface Category {
  id: string;
  restaurantId: string;
  name: string;
  position: number;
}

export interface NewMenuItem {
  categoryId: string;
  name: string;
  description?: string;
  priceCents: number;
  isAvailable?: boolean;
}

export interface Menu {
  restaurantId: string;
  categories: { id: string; name: string; position: number; items: MenuItem[] }[];
}

export interface OrderLine {
  menuItemId: string;
  name: string;
  unitPriceCents: number;
  quantity: number;
  lineTotalCents: number;
}

export interface Cart {
  restaurantId: string | null;
  items: OrderLine[];
  subtotalCents: number;
}

export const ORDER_FLOW = ['pending', 'confirmed', 'preparing', 'ready', 'picked_up', 'delivered'] as const;
export type OrderStatus = (typeof ORDER_FLOW)[number] | 'cancelled';

export type Payment = { method: 'card'; cardToken: string } | { method: 'cash' };

export interface Order {
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
  deliveryAddress: Omit<NewAddress, 'isDefault'>;
  payment: { method: 'card' | 'cash'; status: string };
  notes: string | null;
  statusHistory: { status: OrderStatus; at: string; by: Role | 'system' }[];
  createdAt: string;
  updatedAt: string;
}

export type DeliveryStatus = 'awaiting_driver' | 'assigned' | 'picked_up' | 'delivered' | 'cancelled';

export interface Delivery {
  id: string;
  orderId: string;
  driverId: string | null;
  status: DeliveryStatus;
  pickup: LatLng;
  dropoff: LatLng;
  assignedAt: string | null;
  pickedUpAt: string | null;
  deliveredAt: string | null;
  lastLocation: (LatLng & { at?: string }) | null;
}

export interface Tracking {
  orderId: string;
  status: OrderStatus;
  deliveryId: string | null;
  deliveryStatus: DeliveryStatus | null;
  driver: { id: string; firstName: string } | null;
  location: (LatLng & { at: string }) | null;
  etaMinutes: number | null;
}

export interface LocationUpdate extends LatLng {
  orderId: string;
  deliveryId: string;
  heading: number | null;
  speedKmh: number | null;
  at: string;
}

export interface StatusChange {
  orderId: string;
  deliveryId: string | null;
  status: OrderStatus | 'assigned';
  at: string;
}

export interface Notification {
  id: string;
  type: string;
  orderId: string;
  message: string;
  at: string;
}

export type HealthProbe = 'live' | 'ready';

/** A service's health answer: `/health/live` says `ok`; `/health/ready` names each dependency it checked. */
export interface Health {
  status: 'ok' | 'ready' | 'unavailable';
  checks?: Record<string, { status: 'up' | 'down'; error?: string }>;
}
