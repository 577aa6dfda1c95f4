import type { OrderCopy } from '../orders/order-copy.repository.js';

export type Audience = 'customer' | 'owner' | 'driver';

/** What each event tells whom. Events missing here notify nobody (their order event already does). */
const MESSAGES: Record<string, Partial<Record<Audience, string>>> = {
  'order.created': { customer: 'Your order has been placed', owner: 'New order received' },
  'order.confirmed': { customer: 'The restaurant confirmed your order' },
  'order.preparing': { customer: 'Your order is being prepared' },
  'order.ready': { customer: 'Your order is ready and waiting for a driver', owner: 'Order ready for pickup' },
  'order.cancelled': {
    customer: 'Your order was cancelled',
    owner: 'An order was cancelled',
    driver: 'A delivery of yours was cancelled',
  },
  'delivery.assigned': {
    customer: 'A driver is on the way to the restaurant',
    owner: 'A driver is coming for an order',
    driver: 'You have a new delivery',
  },
  'order.picked_up': { customer: 'Your order is on its way', owner: 'An order was picked up' },
  'order.delivered': { customer: 'Your order has been delivered', owner: 'An order was delivered' },
};

/** Each concerned user with the message meant for them. */
export function recipients(type: string, order: OrderCopy): { userId: string; message: string }[] {
  const messages = MESSAGES[type] ?? {};
  const userOf: Record<Audience, string | null> = {
    customer: order.customerId,
    owner: order.restaurantOwnerId,
    driver: order.driverId,
  };
  return (Object.entries(messages) as [Audience, string][]).flatMap(([audience, message]) => {
    const userId = userOf[audience];
    return userId ? [{ userId, message }] : [];
  });
}
