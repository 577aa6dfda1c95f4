import type { Database, Queryable } from '@foodflow/platform';
import type { CategoryChanges, ItemChanges, ItemInput } from './menu.schemas.js';

export interface CategoryRow {
  id: string;
  restaurantId: string;
  name: string;
  position: number;
}

export interface ItemRow {
  id: string;
  categoryId: string;
  restaurantId: string;
  name: string;
  description: string | null;
  priceCents: number;
  isAvailable: boolean;
  imageUrl: string | null;
  position: number;
}

/** An item as pricing sees it: deleted ones included, so an order can tell "gone" from "never existed". */
export interface PricedItemRow extends ItemRow {
  deleted: boolean;
}

const CATEGORY_COLUMNS = 'id, restaurant_id AS "restaurantId", name, position';
const ITEM_COLUMNS = `id, category_id AS "categoryId", restaurant_id AS "restaurantId", name, description,
  price_cents AS "priceCents", is_available AS "isAvailable", image_url AS "imageUrl", position`;

const ITEM_FIELDS: [keyof ItemChanges, string][] = [
  ['categoryId', 'category_id'],
  ['name', 'name'],
  ['description', 'description'],
  ['priceCents', 'price_cents'],
  ['isAvailable', 'is_available'],
  ['imageUrl', 'image_url'],
  ['position', 'position'],
];

/** `SET` assignments for the fields present in `changes`, numbered from `$2` (`$1` is the id). */
function assignments<T extends object>(changes: T, fields: [keyof T, string][]): { sql: string; values: unknown[] } {
  const present = fields.filter(([field]) => changes[field] !== undefined);
  return {
    sql: present.map(([, column], i) => `${column} = $${i + 2}`).join(', '),
    values: present.map(([field]) => changes[field]),
  };
}

/** The position after the last live row of `table` whose `column` is `$param`: where a new one goes. */
const nextPosition = (table: 'menu_categories' | 'menu_items', column: string, param: string): string =>
  `(SELECT coalesce(max(position) + 1, 0) FROM ${table} WHERE ${column} = ${param} AND deleted_at IS NULL)`;

export class MenuRepository {
  constructor(private readonly db: Database) {}

  /** Without a position the category goes last. */
  async insertCategory(restaurantId: string, name: string, position: number | undefined): Promise<CategoryRow> {
    const { rows } = await this.db.query<CategoryRow>(
      `INSERT INTO menu_categories (restaurant_id, name, position)
       VALUES ($1, $2, coalesce($3, ${nextPosition('menu_categories', 'restaurant_id', '$1')}))
       RETURNING ${CATEGORY_COLUMNS}`,
      [restaurantId, name, position ?? null],
    );
    return rows[0] as CategoryRow;
  }

  async findCategory(id: string): Promise<CategoryRow | undefined> {
    const { rows } = await this.db.query<CategoryRow>(
      `SELECT ${CATEGORY_COLUMNS} FROM menu_categories WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0];
  }

  async updateCategory(id: string, changes: CategoryChanges): Promise<CategoryRow | undefined> {
    const { sql, values } = assignments(changes, [
      ['name', 'name'],
      ['position', 'position'],
    ]);
    const { rows } = await this.db.query<CategoryRow>(
      `UPDATE menu_categories SET ${sql} WHERE id = $1 AND deleted_at IS NULL RETURNING ${CATEGORY_COLUMNS}`,
      [id, ...values],
    );
    return rows[0];
  }

  /** Soft-deletes a category and the items in it, together. */
  async deleteCategory(client: Queryable, id: string): Promise<void> {
    await client.query('UPDATE menu_items SET deleted_at = now() WHERE category_id = $1 AND deleted_at IS NULL', [id]);
    await client.query('UPDATE menu_categories SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL', [id]);
  }

  /** Without a position the item goes last in its category. */
  async insertItem(restaurantId: string, input: ItemInput): Promise<ItemRow> {
    const { rows } = await this.db.query<ItemRow>(
      `INSERT INTO menu_items (category_id, restaurant_id, name, description, price_cents, is_available, image_url,
                               position)
       VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, ${nextPosition('menu_items', 'category_id', '$1')}))
       RETURNING ${ITEM_COLUMNS}`,
      [
        input.categoryId,
        restaurantId,
        input.name,
        input.description ?? null,
        input.priceCents,
        input.isAvailable ?? true,
        input.imageUrl ?? null,
        input.position ?? null,
      ],
    );
    return rows[0] as ItemRow;
  }

  async findItem(id: string): Promise<ItemRow | undefined> {
    const { rows } = await this.db.query<ItemRow>(
      `SELECT ${ITEM_COLUMNS} FROM menu_items WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    return rows[0];
  }

  /** An item moved to another category without a position goes last there, as a new one would. */
  async updateItem(id: string, changes: ItemChanges): Promise<ItemRow | undefined> {
    const { sql, values } = assignments(changes, ITEM_FIELDS);
    const category = values.length + 2;
    const lastIfMoved =
      changes.categoryId !== undefined && changes.position === undefined
        ? `, position = CASE WHEN category_id = $${category} THEN position
             ELSE ${nextPosition('menu_items', 'category_id', `$${category}`)} END`
        : '';
    const { rows } = await this.db.query<ItemRow>(
      `UPDATE menu_items SET ${sql}${lastIfMoved} WHERE id = $1 AND deleted_at IS NULL RETURNING ${ITEM_COLUMNS}`,
      lastIfMoved ? [id, ...values, changes.categoryId] : [id, ...values],
    );
    return rows[0];
  }

  async deleteItem(id: string): Promise<void> {
    await this.db.query('UPDATE menu_items SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL', [id]);
  }

  /** The live categories and items of a restaurant, each in menu order. */
  async menuOf(restaurantId: string): Promise<{ categories: CategoryRow[]; items: ItemRow[] }> {
    const [categories, items] = await Promise.all([
      this.db.read<CategoryRow>(
        `SELECT ${CATEGORY_COLUMNS} FROM menu_categories
         WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY position, created_at, id`,
        [restaurantId],
      ),
      this.db.read<ItemRow>(
        `SELECT ${ITEM_COLUMNS} FROM menu_items
         WHERE restaurant_id = $1 AND deleted_at IS NULL ORDER BY position, created_at, id`,
        [restaurantId],
      ),
    ]);
    return { categories: categories.rows, items: items.rows };
  }

  /** The items with these ids, deleted ones included (on the primary: prices must be current). */
  async itemsForPricing(ids: string[]): Promise<PricedItemRow[]> {
    const { rows } = await this.db.query<PricedItemRow>(
      `SELECT ${ITEM_COLUMNS}, deleted_at IS NOT NULL AS deleted FROM menu_items WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows;
  }
}
