import { Router } from 'express';
import { authUser, requireAuth, requireRole, type TokenVerifier, validate } from '@foodflow/platform';
import type { MenuService } from './menu.service.js';
import {
  createCategorySchema,
  createItemSchema,
  idParams,
  updateCategorySchema,
  updateItemSchema,
} from './menu.schemas.js';

export function menuRoutes(deps: { menus: MenuService; verifier: TokenVerifier }): Router {
  const { menus, verifier } = deps;
  const managers = [requireAuth(verifier), requireRole('restaurant_owner', 'admin')];
  const router = Router();

  router.post('/api/menus/categories', ...managers, validate({ body: createCategorySchema }), async (req, res) => {
    res.status(201).json(await menus.createCategory(authUser(res), req.body));
  });
  router.put(
    '/api/menus/categories/:id',
    ...managers,
    validate({ params: idParams, body: updateCategorySchema }),
    async (req, res) => {
      res.json(await menus.updateCategory(authUser(res), req.params['id'] as string, req.body));
    },
  );
  router.delete('/api/menus/categories/:id', ...managers, validate({ params: idParams }), async (req, res) => {
    await menus.deleteCategory(authUser(res), req.params['id'] as string);
    res.status(204).end();
  });
  router.post('/api/menus/items', ...managers, validate({ body: createItemSchema }), async (req, res) => {
    res.status(201).json(await menus.createItem(authUser(res), req.body));
  });
  router.put(
    '/api/menus/items/:id',
    ...managers,
    validate({ params: idParams, body: updateItemSchema }),
    async (req, res) => {
      res.json(await menus.updateItem(authUser(res), req.params['id'] as string, req.body));
    },
  );
  router.delete('/api/menus/items/:id', ...managers, validate({ params: idParams }), async (req, res) => {
    await menus.deleteItem(authUser(res), req.params['id'] as string);
    res.status(204).end();
  });
  return router;
}
