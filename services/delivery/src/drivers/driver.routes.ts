import { authUser, requireAuth, requireRole, type TokenVerifier, validate } from '@foodflow/platform';
import { Router } from 'express';
import { availabilityBody } from './driver.schemas.js';
import type { DriverService } from './driver.service.js';

export function driverRoutes(service: DriverService, verifier: TokenVerifier): Router {
  const router = Router();
  router.put(
    '/api/drivers/availability',
    requireAuth(verifier),
    requireRole('driver'),
    validate({ body: availabilityBody }),
    async (req, res) => {
      res.json(await service.setAvailability(authUser(res), req.body));
    },
  );
  return router;
}
