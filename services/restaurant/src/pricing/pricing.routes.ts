import { Router } from 'express';
import { requireService, validate } from '@foodflow/platform';
import { pricingRequestSchema } from './pricing.schemas.js';
import type { PricingService } from './pricing.service.js';

/**
 * POST /internal/pricing: prices order lines for the order service (service token from `order-service`
 * only; any other caller 403, none or a bad one 401).
 *
 * Request: `{ items: [{ menuItemId: uuid, quantity: 1-50 }] }` (1-100 lines; unknown fields 400).
 * 200: `{ restaurant: { restaurantId, ownerId, name, location: { lat, lng }, currency, deliveryFeeCents,
 *         minOrderCents, isOpen, isAcceptingOrders },
 *        lines: [{ menuItemId, name, unitPriceCents, quantity, lineTotalCents, isAvailable }] }`,
 *      lines in request order. A deleted item is still priced, with `isAvailable: false`, so checkout can
 *      answer ITEM_UNAVAILABLE for a cart that holds it.
 * 404 NOT_FOUND: an id that never was a menu item; `details[].path` is `items.<index>.menuItemId`.
 * 409 CART_RESTAURANT_MISMATCH: the items belong to different restaurants; `details[]` names each line's
 *      restaurant. Unknown items are reported before a mismatch.
 */
export function pricingRoutes(deps: { pricing: PricingService; secret: string; self: string }): Router {
  const router = Router();
  router.post(
    '/internal/pricing',
    requireService({ secret: deps.secret, self: deps.self, allowed: ['order-service'] }),
    validate({ body: pricingRequestSchema }),
    async (req, res) => {
      res.json(await deps.pricing.price(req.body.items));
    },
  );
  return router;
}
