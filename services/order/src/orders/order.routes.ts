import { Router, type RequestHandler } from 'express';
import { authUser, requireRole, requireService, validate } from '@foodflow/platform';
import { fingerprint, type IdempotencyGuard, idempotencyKeyOf } from '../idempotency/idempotency.js';
import type { CheckoutService } from './checkout.service.js';
import { toOrderParties, toOrderResponse } from './order.mapper.js';
import type { Order } from './order.repository.js';
import {
  checkoutFingerprintParts,
  checkoutSchema,
  listOrdersSchema,
  type ListOrdersQuery,
  orderParamsSchema,
  statusChangeSchema,
} from './order.schemas.js';
import type { OrderService } from './order.service.js';

export interface OrderRoutesDeps {
  orders: OrderService;
  checkout: CheckoutService;
  idempotency: IdempotencyGuard<Order>;
  authenticate: RequestHandler;
}

export function orderRoutes({ orders, checkout, idempotency, authenticate }: OrderRoutesDeps): Router {
  const router = Router();

  router.post(
    '/api/orders',
    authenticate,
    requireRole('customer'),
    validate({ body: checkoutSchema }),
    async (req, res) => {
      const customerId = authUser(res).id;
      const scope = {
        userId: customerId,
        key: idempotencyKeyOf(req),
        requestHash: fingerprint(checkoutFingerprintParts(req.body)),
      };
      const { status, body } = await idempotency.run(scope, (attempt) =>
        checkout.placeOrder(customerId, req.body, attempt),
      );
      res.status(status).json(body);
    },
  );

  router.get('/api/orders', authenticate, validate({ query: listOrdersSchema }), async (req, res) => {
    const query = req.query as unknown as ListOrdersQuery;
    const { orders: page, total } = await orders.list(authUser(res), query);
    res.json({ data: page.map(toOrderResponse), page: query.page, pageSize: query.pageSize, total });
  });

  router.get('/api/orders/:id', authenticate, validate({ params: orderParamsSchema }), async (req, res) => {
    res.json(toOrderResponse(await orders.get(authUser(res), req.params['id'] as string)));
  });

  router.put(
    '/api/orders/:id/status',
    authenticate,
    validate({ params: orderParamsSchema, body: statusChangeSchema }),
    async (req, res) => {
      res.json(toOrderResponse(await orders.changeStatus(authUser(res), req.params['id'] as string, req.body)));
    },
  );

  return router;
}

/**
 * GET /internal/orders/:id: the delivery service tracks an order by its parties and status; this answers
 * for the moment after checkout when `order.created` has not yet reached its copy (service token from
 * `delivery-service` only; any other caller 403, none or a bad one 401).
 *
 * 200: `{ id, customerId, restaurantId, restaurantOwnerId, status, driverId }`. 404 NOT_FOUND: no such order.
 */
export function internalOrderRoutes(orders: OrderService, internal: { secret: string; self: string }): Router {
  const router = Router();

  router.get(
    '/internal/orders/:id',
    requireService({ ...internal, allowed: ['delivery-service'] }),
    validate({ params: orderParamsSchema }),
    async (req, res) => {
      res.json(toOrderParties(await orders.getForService(req.params['id'] as string)));
    },
  );

  return router;
}
