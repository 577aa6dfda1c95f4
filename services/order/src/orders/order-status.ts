import type { OrderStatus, Role } from '@foodflow/platform';

/** Who a status change is recorded as: a role, or `system` for changes no person made. */
export type ChangedBy = Role | 'system';

/**
 * The changes people make through the API, and which roles may make each. `picked_up` and `delivered`
 * are absent on purpose: they follow the delivery service's events (see `DELIVERY_STEPS`), so the order
 * and its delivery cannot disagree.
 */
const API_TRANSITIONS: Record<OrderStatus, Partial<Record<OrderStatus, readonly Role[]>>> = {
  pending: { confirmed: ['restaurant_owner'], cancelled: ['customer', 'restaurant_owner', 'admin'] },
  confirmed: { preparing: ['restaurant_owner'], cancelled: ['restaurant_owner', 'admin'] },
  preparing: { ready: ['restaurant_owner'], cancelled: ['restaurant_owner', 'admin'] },
  ready: { cancelled: ['admin'] },
  picked_up: { cancelled: ['admin'] },
  delivered: {},
  cancelled: {},
};

export const canChangeStatus = (from: OrderStatus, to: OrderStatus, role: Role): boolean =>
  API_TRANSITIONS[from][to]?.includes(role) ?? false;

/** The delivery flow's steps: the status each delivery event moves an order to, and the one it must come from. */
export const DELIVERY_STEPS = {
  picked_up: { from: 'ready', to: 'picked_up' },
  delivered: { from: 'picked_up', to: 'delivered' },
} as const satisfies Record<string, { from: OrderStatus; to: OrderStatus }>;

export type DeliveryStep = keyof typeof DELIVERY_STEPS;

export const isFinal = (status: OrderStatus): boolean => status === 'delivered' || status === 'cancelled';
