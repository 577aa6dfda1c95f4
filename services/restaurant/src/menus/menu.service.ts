import { AppError, type AuthUser, type Database, notFound } from '@foodflow/platform';
import type { PublicCache, SerializedBody } from '../cache/public-cache.js';
import type { RestaurantRepository } from '../restaurants/restaurant.repository.js';
import { assertManages } from '../restaurants/restaurant.service.js';
import { type Category, type MenuItem, toCategory, toMenu, toMenuItem } from './menu.mapper.js';
import type { CategoryRow, ItemRow, MenuRepository } from './menu.repository.js';
import type { CategoryChanges, CategoryInput, ItemChanges, ItemInput } from './menu.schemas.js';

export class MenuService {
  constructor(
    private readonly db: Database,
    private readonly menus: MenuRepository,
    private readonly restaurants: RestaurantRepository,
    private readonly cache: PublicCache,
  ) {}

  /** The body `menu(restaurantId)` would give, if this process holds it and can answer at once. */
  heldMenu(restaurantId: string): SerializedBody | undefined {
    return this.cache.held({ kind: 'restaurant', id: restaurantId }, 'menu');
  }

  /** A restaurant's menu, serialized (public and cached). */
  menu(restaurantId: string): Promise<SerializedBody> {
    return this.cache.read({ kind: 'restaurant', id: restaurantId }, 'menu', async () => {
      if (!(await this.restaurants.ownerOf(restaurantId))) throw notFound('Restaurant');
      const { categories, items } = await this.menus.menuOf(restaurantId);
      return toMenu(restaurantId, categories, items);
    });
  }

  async createCategory(user: AuthUser, input: CategoryInput): Promise<Category> {
    await this.assertManagesRestaurant(user, input.restaurantId);
    const row = await this.menus.insertCategory(input.restaurantId, input.name, input.position);
    await this.changed(row.restaurantId);
    return toCategory(row);
  }

  async updateCategory(user: AuthUser, id: string, changes: CategoryChanges): Promise<Category> {
    const category = await this.managedCategory(user, id);
    const row = await this.menus.updateCategory(id, changes);
    if (!row) throw notFound('Category');
    await this.changed(category.restaurantId);
    return toCategory(row);
  }

  /** Soft-deletes the category with its items: they leave the menu, while orders keep their copies. */
  async deleteCategory(user: AuthUser, id: string): Promise<void> {
    const category = await this.managedCategory(user, id);
    await this.db.transaction((client) => this.menus.deleteCategory(client, id));
    await this.changed(category.restaurantId);
  }

  async createItem(user: AuthUser, input: ItemInput): Promise<MenuItem> {
    const category = await this.managedCategory(user, input.categoryId);
    const row = await this.menus.insertItem(category.restaurantId, input);
    await this.changed(row.restaurantId);
    return toMenuItem(row);
  }

  async updateItem(user: AuthUser, id: string, changes: ItemChanges): Promise<MenuItem> {
    const item = await this.managedItem(user, id);
    if (changes.categoryId !== undefined && changes.categoryId !== item.categoryId) {
      const target = await this.menus.findCategory(changes.categoryId);
      if (!target) throw notFound('Category');
      if (target.restaurantId !== item.restaurantId) {
        throw new AppError('VALIDATION_FAILED', 'An item can only move to a category of its own restaurant', {
          details: [{ path: 'categoryId', message: 'must be a category of the same restaurant' }],
        });
      }
    }
    const row = await this.menus.updateItem(id, changes);
    if (!row) throw notFound('Menu item');
    await this.changed(item.restaurantId);
    return toMenuItem(row);
  }

  /** Soft-deletes the item: gone from the menu and from pricing as available, kept for order history. */
  async deleteItem(user: AuthUser, id: string): Promise<void> {
    const item = await this.managedItem(user, id);
    await this.menus.deleteItem(id);
    await this.changed(item.restaurantId);
  }

  private async assertManagesRestaurant(user: AuthUser, restaurantId: string): Promise<void> {
    const ownerId = await this.restaurants.ownerOf(restaurantId);
    if (!ownerId) throw notFound('Restaurant');
    assertManages(user, ownerId);
  }

  private async managedCategory(user: AuthUser, id: string): Promise<CategoryRow> {
    const category = await this.menus.findCategory(id);
    if (!category) throw notFound('Category');
    await this.assertManagesRestaurant(user, category.restaurantId);
    return category;
  }

  private async managedItem(user: AuthUser, id: string): Promise<ItemRow> {
    const item = await this.menus.findItem(id);
    if (!item) throw notFound('Menu item');
    await this.assertManagesRestaurant(user, item.restaurantId);
    return item;
  }

  private changed(restaurantId: string): Promise<void> {
    return this.cache.invalidate({ kind: 'restaurant', id: restaurantId });
  }
}
