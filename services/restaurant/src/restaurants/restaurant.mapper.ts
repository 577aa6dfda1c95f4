import { surfaceOf } from './earth.js';
import { isWithinHours } from './opening-hours.js';
import type { RestaurantRow } from './restaurant.repository.js';

/** The public `restaurant` resource; `isOpen` is derived for the instant `now`. */
export function toRestaurant(row: RestaurantRow, now: Date) {
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    description: row.description,
    cuisine: row.cuisine,
    phone: row.phone,
    address: {
      street: row.street,
      city: row.city,
      postalCode: row.postalCode,
      location: { lat: row.lat, lng: row.lng },
    },
    timeZone: row.timeZone,
    openingHours: row.openingHours,
    isAcceptingOrders: row.isAcceptingOrders,
    isOpen: isOpen(row, now),
    rating: row.rating,
    deliveryFeeCents: row.deliveryFeeCents,
    minOrderCents: row.minOrderCents,
    prepTimeMinutes: row.prepTimeMinutes,
    ...(typeof row.chordM === 'number' ? { distanceKm: Math.round(surfaceOf(row.chordM)) / 1000 } : {}),
  };
}

export type Restaurant = ReturnType<typeof toRestaurant>;

export const isOpen = (row: RestaurantRow, now: Date): boolean =>
  row.isAcceptingOrders && isWithinHours(row.openingHours, row.timeZone, now);
