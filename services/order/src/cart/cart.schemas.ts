import Joi from 'joi';

export const MAX_LINE_QUANTITY = 50;

export interface AddCartItemInput {
  menuItemId: string;
  quantity: number;
}

export const addCartItemSchema = Joi.object<AddCartItemInput>({
  menuItemId: Joi.string().guid().required(),
  quantity: Joi.number().integer().min(1).max(MAX_LINE_QUANTITY).required(),
});

export const cartItemParamsSchema = Joi.object<{ menuItemId: string }>({
  menuItemId: Joi.string().guid().required(),
});
