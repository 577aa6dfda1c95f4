import { authUser, validate } from '@foodflow/platform';
import { type RequestHandler, Router } from 'express';
import { updateProfileBody } from './user.schemas.js';
import type { UserService } from './user.service.js';

export function userRoutes(users: UserService, requireAuth: RequestHandler): Router {
  const router = Router();

  router.get('/api/users/profile', requireAuth, async (_req, res) => {
    res.json(await users.getProfile(authUser(res).id));
  });

  router.put('/api/users/profile', requireAuth, validate({ body: updateProfileBody }), async (req, res) => {
    res.json(await users.updateProfile(authUser(res).id, req.body));
  });

  return router;
}
