import { authUser, requireAuth, type TokenVerifier, validate } from '@foodflow/platform';
import { Router } from 'express';
import { trackRequest } from './tracking.schemas.js';
import type { TrackingService } from './tracking.service.js';

export function trackingRoutes(service: TrackingService, verifier: TokenVerifier): Router {
  const router = Router();
  router.get('/api/tracking/:orderId', requireAuth(verifier), validate({ params: trackRequest }), async (req, res) => {
    res.json(await service.get(authUser(res), req.params['orderId'] as string));
  });
  return router;
}
