import { authUser, requireService, validate } from '@foodflow/platform';
import { type RequestHandler, Router } from 'express';
import { addressIdParams, createAddressBody, internalAddressParams, updateAddressBody } from './address.schemas.js';
import type { AddressService } from './address.service.js';

export function addressRoutes(addresses: AddressService, requireAuth: RequestHandler): Router {
  const router = Router();

  router.get('/api/users/addresses', requireAuth, async (_req, res) => {
    res.json(await addresses.list(authUser(res).id));
  });

  router.post('/api/users/addresses', requireAuth, validate({ body: createAddressBody }), async (req, res) => {
    res.status(201).json(await addresses.create(authUser(res).id, req.body));
  });

  router.put(
    '/api/users/addresses/:id',
    requireAuth,
    validate({ params: addressIdParams, body: updateAddressBody }),
    async (req, res) => {
      res.json(await addresses.update(authUser(res).id, req.params['id'] as string, req.body));
    },
  );

  router.delete('/api/users/addresses/:id', requireAuth, validate({ params: addressIdParams }), async (req, res) => {
    await addresses.remove(authUser(res).id, req.params['id'] as string);
    res.status(204).end();
  });

  return router;
}

/** For the order service at checkout: the saved address it copies into the order. */
export function internalAddressRoutes(addresses: AddressService, internal: { secret: string; self: string }): Router {
  const router = Router();

  router.get(
    '/internal/users/:userId/addresses/:addressId',
    requireService({ ...internal, allowed: ['order-service'] }),
    validate({ params: internalAddressParams }),
    async (req, res) => {
      res.json(await addresses.get(req.params['userId'] as string, req.params['addressId'] as string));
    },
  );

  return router;
}
