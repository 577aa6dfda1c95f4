import { AppError } from '@foodflow/platform';
import type { RestaurantClient } from '../peers/restaurant.client.js';
import type { CartRepository, StoredCart } from './cart.repository.js';
import type { AddCartItemInput } from './cart.schemas.js';

/**
 * The customer's cart. Each line is priced by the restaurant service when it is added; reading the cart
 * shows those stored prices (so the cart stays readable while the restaurant service is away), and
 * checkout prices everything again before anything is charged.
 */
export class CartService {
  constructor(
    private readonly carts: CartRepository,
    private readonly restaurants: RestaurantClient,
  ) {}

  get(customerId: string): Promise<StoredCart> {
    return this.carts.find(customerId);
  }

  /** Puts an item in the cart with the given quantity; adding an item already there sets its new quantity. */
  async addItem(customerId: string, { menuItemId, quantity }: AddCartItemInput): Promise<StoredCart> {
    const { restaurant, lines } = await this.restaurants.price([{ menuItemId, quantity }]);
    const line = lines.find((l) => l.menuItemId === menuItemId);
    if (!line) throw new AppError('NOT_FOUND', 'Menu item not found');
    if (!line.isAvailable) {
      throw new AppError('ITEM_UNAVAILABLE', `${line.name} is not available at the moment`, {
        details: [{ path: 'menuItemId', message: 'is not available' }],
      });
    }
    const { conflictingRestaurantId } = await this.carts.setLine(customerId, restaurant.restaurantId, {
      menuItemId,
      name: line.name,
      unitPriceCents: line.unitPriceCents,
      quantity,
    });
    if (conflictingRestaurantId) {
      throw new AppError(
        'CART_RESTAURANT_MISMATCH',
        'The cart holds items of another restaurant; remove them before adding this one',
      );
    }
    return this.carts.find(customerId);
  }

  /** Removing an item that is not in the cart changes nothing and still answers with the cart. */
  async removeItem(customerId: string, menuItemId: string): Promise<StoredCart> {
    await this.carts.removeLine(customerId, menuItemId);
    return this.carts.find(customerId);
  }
}
