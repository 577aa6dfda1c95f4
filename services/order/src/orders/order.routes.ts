import { Router, type RequestHandler } from 'express';
import { authUser, requireRole, validate } from '@foodflow/platform';
import { fingerprint, type IdempotencyGuard, idempotencyKeyOf } from '../idempotency/idempotency.js';
import type { CheckoutService } from './checkout.service.js';
import { toOrderResponse } from './order.mapper.js';
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
