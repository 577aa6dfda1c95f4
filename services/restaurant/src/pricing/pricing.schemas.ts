import Joi from 'joi';

export interface PricingLine {
  menuItemId: string;
  quantity: number;
}

export interface PricingRequest {
  items: PricingLine[];
}

export const pricingRequestSchema = Joi.object<PricingRequest>({
  items: Joi.array()
    .items(
      Joi.object({
        menuItemId: Joi.string().guid().required(),
        quantity: Joi.number().integer().min(1).max(50).required(),
      }),
    )
    .min(1)
    .max(100)
    .required(),
});
