import type { CategoryRow, ItemRow } from './menu.repository.js';

export const toCategory = (row: CategoryRow) => ({
  id: row.id,
  restaurantId: row.restaurantId,
  name: row.name,
  position: row.position,
});

export const toMenuItem = (row: ItemRow) => ({
  id: row.id,
  categoryId: row.categoryId,
  restaurantId: row.restaurantId,
  name: row.name,
  description: row.description,
  priceCents: row.priceCents,
  isAvailable: row.isAvailable,
  imageUrl: row.imageUrl,
  position: row.position,
});

export type Category = ReturnType<typeof toCategory>;
export type MenuItem = ReturnType<typeof toMenuItem>;

/** The public menu: categories in order, each with its items in order. */
export function toMenu(restaurantId: string, categories: CategoryRow[], items: ItemRow[]) {
  return {
    restaurantId,
    categories: categories.map((category) => ({
      id: category.id,
      name: category.name,
      position: category.position,
      items: items.filter((item) => item.categoryId === category.id).map(toMenuItem),
    })),
  };
}
