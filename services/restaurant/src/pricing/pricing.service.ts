import { AppError, notFound } from '@foodflow/platform';
import type { Clock } from '../cache/public-cache.js';
import type { MenuRepository, PricedItemRow } from '../menus/menu.repository.js';
import { isOpen } from '../restaurants/restaurant.mapper.js';
import type { RestaurantRepository } from '../restaurants/restaurant.repository.js';
import type { PricingLine } from './pricing.schemas.js';

export interface Pricing {
  restaurant: {
    restaurantId: string;
    ownerId: string;
    name: string;
    location: { lat: number; lng: number };
    currency: string;
    deliveryFeeCents: number;
    minOrderCents: number;
    isOpen: boolean;
    isAcceptingOrders: boolean;
  };
  lines: {
    menuItemId: string;
    name: string;
    unitPriceCents: number;
    quantity: number;
    lineTotalCents: number;
    isAvailable: boolean;
  }[];
}

/**
 * The authoritative price of a set of order lines, for the order service: read from the database (never
 * from the public cache), so an order is priced from the menu as it is at this moment.
 */
export class PricingService {
  constructor(
    private readonly menus: MenuRepository,
    private readonly restaurants: RestaurantRepository,
    private readonly clock: Clock,
  ) {}

  async price(lines: PricingLine[]): Promise<Pricing> {
    const items = new Map(
      (await this.menus.itemsForPricing([...new Set(lines.map((l) => l.menuItemId))])).map((i) => [i.id, i]),
    );
    const unknown = lines.flatMap((line, index) =>
      items.has(line.menuItemId)
        ? []
        : [{ path: `items.${index}.menuItemId`, message: `no menu item ${line.menuItemId}` }],
    );
    if (unknown.length > 0) {
      throw new AppError('NOT_FOUND', `${unknown.length} menu item(s) not found`, { details: unknown });
    }
    const found = lines.map((line) => items.get(line.menuItemId) as PricedItemRow);
    const restaurantIds = new Set(found.map((item) => item.restaurantId));
    if (restaurantIds.size > 1) {
      throw new AppError('CART_RESTAURANT_MISMATCH', 'The items belong to different restaurants', {
        details: found.map((item, index) => ({
          path: `items.${index}.menuItemId`,
          message: `belongs to restaurant ${item.restaurantId}`,
        })),
      });
    }
    const restaurant = await this.restaurants.findById(found[0]?.restaurantId ?? '', { fromPrimary: true });
    if (!restaurant) throw notFound('Restaurant');
    return {
      restaurant: {
        restaurantId: restaurant.id,
        ownerId: restaurant.ownerId,
        name: restaurant.name,
        location: { lat: restaurant.lat, lng: restaurant.lng },
        currency: restaurant.currency,
        deliveryFeeCents: restaurant.deliveryFeeCents,
        minOrderCents: restaurant.minOrderCents,
        isOpen: isOpen(restaurant, this.clock()),
        isAcceptingOrders: restaurant.isAcceptingOrders,
      },
      lines: lines.map((line, index) => {
        const item = found[index] as PricedItemRow;
        return {
          menuItemId: item.id,
          name: item.name,
          unitPriceCents: item.priceCents,
          quantity: line.quantity,
          lineTotalCents: item.priceCents * line.quantity,
          isAvailable: item.isAvailable && !item.deleted,
        };
      }),
    };
  }
}
