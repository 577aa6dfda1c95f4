import type { OrderLine } from '@foodflow/platform';
import type { CartLine, StoredCart } from './cart.repository.js';

export interface CartResponse {
  restaurantId: string | null;
  items: OrderLine[];
  subtotalCents: number;
}

export const toOrderLine = (line: CartLine): OrderLine => ({
  menuItemId: line.menuItemId,
  name: line.name,
  unitPriceCents: line.unitPriceCents,
  quantity: line.quantity,
  lineTotalCents: line.unitPriceCents * line.quantity,
});

export function toCartResponse(cart: StoredCart): CartResponse {
  const items = cart.lines.map(toOrderLine);
  return {
    restaurantId: cart.restaurantId,
    items,
    subtotalCents: items.reduce((sum, item) => sum + item.lineTotalCents, 0),
  };
}
