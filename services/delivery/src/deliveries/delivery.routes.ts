import { authUser, requireAuth, requireRole, type TokenVerifier, validate } from '@foodflow/platform';
import { Router } from 'express';
import {
  deliveryIdParams,
  deliveryStatusBody,
  listDeliveriesQuery,
  type ListDeliveriesQuery,
  locationBody,
} from './delivery.schemas.js';
import type { DeliveryService } from './delivery.service.js';

export function deliveryRoutes(service: DeliveryService, verifier: TokenVerifier): Router {
  const router = Router();
  const auth = requireAuth(verifier);
  const driver = requireRole('driver');
  const driverOrAdmin = requireRole('driver', 'admin');
  const byId = validate({ params: deliveryIdParams });

  router.get('/api/deliveries', auth, driverOrAdmin, validate({ query: listDeliveriesQuery }), async (req, res) => {
    res.json(await service.list(authUser(res), req.query as unknown as ListDeliveriesQuery));
  });
  router.get('/api/deliveries/:id', auth, driverOrAdmin, byId, async (req, res) => {
    res.json(await service.get(authUser(res), req.params['id'] as string));
  });
  router.put(
    '/api/deliveries/:id/status',
    auth,
    driver,
    validate({ params: deliveryIdParams, body: deliveryStatusBody }),
    async (req, res) => {
      res.json(await service.updateStatus(authUser(res), req.params['id'] as string, req.body));
    },
  );
  router.put(
    '/api/deliveries/:id/location',
    auth,
    driver,
    validate({ params: deliveryIdParams, body: locationBody }),
    async (req, res) => {
      res.json(await service.recordLocation(authUser(res), req.params['id'] as string, req.body));
    },
  );
  return router;
}
