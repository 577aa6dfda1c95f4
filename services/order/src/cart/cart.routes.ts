import { Router, type RequestHandler } from 'express';
import { authUser, requireRole, validate } from '@foodflow/platform';
import { toCartResponse } from './cart.mapper.js';
import { addCartItemSchema, cartItemParamsSchema } from './cart.schemas.js';
import type { CartService } from './cart.service.js';

export function cartRoutes(carts: CartService, authenticate: RequestHandler): Router {
  const router = Router();
  const customer = requireRole('customer');

  router.get('/api/cart', authenticate, customer, async (_req, res) => {
    res.json(toCartResponse(await carts.get(authUser(res).id)));
  });

  router.post('/api/cart/items', authenticate, customer, validate({ body: addCartItemSchema }), async (req, res) => {
    res.json(toCartResponse(await carts.addItem(authUser(res).id, req.body)));
  });

  router.delete(
    '/api/cart/items/:menuItemId',
    authenticate,
    customer,
    validate({ params: cartItemParamsSchema }),
    async (req, res) => {
      res.json(toCartResponse(await carts.removeItem(authUser(res).id, req.params['menuItemId'] as string)));
    },
  );

  return router;
}
