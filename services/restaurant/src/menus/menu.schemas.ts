import Joi from 'joi';

const position = Joi.number().integer().min(0).max(10_000);
const name = Joi.string().trim().min(1).max(120);

export interface CategoryInput {
  restaurantId: string;
  name: string;
  position?: number;
}

export type CategoryChanges = Partial<Pick<CategoryInput, 'name' | 'position'>>;

export const createCategorySchema = Joi.object<CategoryInput>({
  restaurantId: Joi.string().guid().required(),
  name: name.required(),
  position,
});

export const updateCategorySchema = Joi.object<CategoryChanges>({ name, position })
  .min(1)
  .messages({ 'object.min': 'at least one field to change is required' });

export interface ItemInput {
  categoryId: string;
  name: string;
  description?: string;
  priceCents: number;
  isAvailable?: boolean;
  imageUrl?: string | null;
  position?: number;
}

export type ItemChanges = Partial<ItemInput>;

const itemFields = {
  categoryId: Joi.string().guid(),
  name,
  description: Joi.string().trim().max(1000).allow(''),
  priceCents: Joi.number().integer().min(0).max(1_000_000),
  isAvailable: Joi.boolean(),
  imageUrl: Joi.string()
    .uri({ scheme: ['https', 'http'] })
    .max(2000)
    .allow(null),
  position,
};

export const createItemSchema = Joi.object<ItemInput>({
  ...itemFields,
  categoryId: itemFields.categoryId.required(),
  name: itemFields.name.required(),
  priceCents: itemFields.priceCents.required(),
});

/** `categoryId` moves the item to another category of the same restaurant. */
export const updateItemSchema = Joi.object<ItemChanges>(itemFields)
  .min(1)
  .messages({ 'object.min': 'at least one field to change is required' });

export const idParams = Joi.object({ id: Joi.string().guid().required() });
