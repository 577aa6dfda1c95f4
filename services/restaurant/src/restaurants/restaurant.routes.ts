import { type IRouter, Router } from 'express';
import { authUser, requireAuth, requireRole, type TokenVerifier, validate } from '@foodflow/platform';
import { sendSerialized } from '../http/send-serialized.js';
import type { MenuService } from '../menus/menu.service.js';
import type { RestaurantService } from './restaurant.service.js';
import {
  createRestaurantSchema,
  type ListQuery,
  listQuerySchema,
  restaurantIdParams,
  updateRestaurantSchema,
} from './restaurant.schemas.js';

/** Public reads are cached and hot: the same few queries and ids come back, so their validation is remembered. */
const PUBLIC_READ = { remember: 1000 };

/**
 * The restaurant routes, on `router` (a new one unless given). The app passes itself: the public reads are
 * its hottest routes, and a nested router would cost every request one more router walk.
 */
export function restaurantRoutes<R extends IRouter = Router>(
  deps: { restaurants: RestaurantService; menus: MenuService; verifier: TokenVerifier },
  router: R = Router() as R,
): R {
  const { restaurants, menus, verifier } = deps;
  const managers = [requireAuth(verifier), requireRole('restaurant_owner', 'admin')];

  // A body this process holds is sent at once; only a miss waits (on Redis or the database).
  router.get('/api/restaurants', validate({ query: listQuerySchema }, PUBLIC_READ), (req, res) => {
    const query = req.query as unknown as ListQuery;
    const held = restaurants.heldList(query);
    if (held) return sendSerialized(req, res, held);
    return restaurants.list(query).then((body) => sendSerialized(req, res, body));
  });
  router.get('/api/restaurants/:id', validate({ params: restaurantIdParams }, PUBLIC_READ), (req, res) => {
    const id = req.params['id'] as string;
    const held = restaurants.heldDetail(id);
    if (held) return sendSerialized(req, res, held);
    return restaurants.detail(id).then((body) => sendSerialized(req, res, body));
  });
  router.get('/api/restaurants/:id/menu', validate({ params: restaurantIdParams }, PUBLIC_READ), (req, res) => {
    const id = req.params['id'] as string;
    const held = menus.heldMenu(id);
    if (held) return sendSerialized(req, res, held);
    return menus.menu(id).then((body) => sendSerialized(req, res, body));
  });
  router.post('/api/restaurants', ...managers, validate({ body: createRestaurantSchema }), async (req, res) => {
    res.status(201).json(await restaurants.create(authUser(res), req.body));
  });
  router.put(
    '/api/restaurants/:id',
    ...managers,
    validate({ params: restaurantIdParams, body: updateRestaurantSchema }),
    async (req, res) => {
      res.json(await restaurants.update(authUser(res), req.params['id'] as string, req.body));
    },
  );
  return router;
}
