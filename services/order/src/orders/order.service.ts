import {
  appendToOutbox,
  AppError,
  type AuthUser,
  type Database,
  type DeliveryEvent,
  type Logger,
  notFound,
  type OrderStatus,
  type PoolClient,
} from '@foodflow/platform';
import type { PaymentService } from '../payments/payment.service.js';
import type { SqlClient } from '../sql-client.js';
import { ORDERS_OUTBOX_CHANNEL, statusEvent } from './order-events.js';
import type { OrderMetrics } from './order-metrics.js';
import {
  assignDriver,
  changeStatus,
  findOrder,
  listOrders,
  type Order,
  type OrderScope,
  type StatusChange,
} from './order.repository.js';
import type { ListOrdersQuery, StatusChangeInput } from './order.schemas.js';
import { canChangeStatus, DELIVERY_STEPS, type DeliveryStep, isFinal } from './order-status.js';

export interface OrderServiceDeps {
  db: Database;
  payments: PaymentService;
  metrics: OrderMetrics;
  logger: Logger;
}

export interface OrderPage {
  orders: Order[];
  total: number;
}

/** The orders a user may see: their own (customer), their restaurants' (owner), their deliveries' (driver), all (admin). */
const scopeOf = (user: AuthUser): OrderScope => {
  switch (user.role) {
    case 'customer':
      return { column: 'customer_id', userId: user.id };
    case 'restaurant_owner':
      return { column: 'restaurant_owner_id', userId: user.id };
    case 'driver':
      return { column: 'driver_id', userId: user.id };
    case 'admin':
      return null;
  }
};

const isVisibleTo = (order: Order, user: AuthUser): boolean => {
  const scope = scopeOf(user);
  if (!scope) return true;
  const owner = {
    customer_id: order.customerId,
    restaurant_owner_id: order.restaurantOwnerId,
    driver_id: order.driverId,
  };
  return owner[scope.column] === scope.userId;
};

export type DeliveryStepOutcome = 'applied' | 'unknown_order' | 'already_applied' | 'not_applicable';

/** Reading orders and moving them through their statuses, by people (the API) and by the delivery flow (events). */
export class OrderService {
  constructor(private readonly deps: OrderServiceDeps) {}

  list(user: AuthUser, query: ListOrdersQuery): Promise<OrderPage> {
    return listOrders(this.deps.db, {
      scope: scopeOf(user),
      status: query.status,
      limit: query.pageSize,
      offset: (query.page - 1) * query.pageSize,
    });
  }

  /** An order the caller may not see is answered exactly like one that does not exist. */
  async get(user: AuthUser, orderId: string): Promise<Order> {
    const order = await findOrder(this.deps.db, orderId);
    if (!order || !isVisibleTo(order, user)) throw notFound('Order');
    return order;
  }

  /**
   * The order whoever it belongs to, for another service of the platform that applies its own rule to the
   * person it answers (the delivery service, before `order.created` has reached its copy of the order).
   */
  async getForService(orderId: string): Promise<Order> {
    const order = await findOrder(this.deps.db, orderId);
    if (!order) throw notFound('Order');
    return order;
  }

  /** A person moves the order one step, if the status table lets their role make that step from where it is now. */
  async changeStatus(user: AuthUser, orderId: string, { status, reason }: StatusChangeInput): Promise<Order> {
    const order = await this.get(user, orderId);
    if (!canChangeStatus(order.status, status, user.role)) throw invalidTransition(order.status, status, user.role);
    const entry: StatusChange = { status, at: new Date().toISOString(), by: user.role };
    const updated = await this.deps.db.transaction(async (client) => {
      const cancelReason = status === 'cancelled' ? (reason ?? null) : null;
      const moved = await changeStatus(client, { orderId, from: order.status, entry, cancelReason });
      if (!moved) {
        throw new AppError('INVALID_TRANSITION', 'The order changed while this request was made; reload it and retry');
      }
      if (status === 'cancelled') await this.deps.payments.void(client, orderId);
      return this.announce(client, orderId, entry, { reason: cancelReason });
    });
    this.deps.metrics.statusChanges.inc({ status, by: user.role });
    return updated;
  }

  /** `delivery.assigned`: the driver may now list and read the order. */
  async recordDriver(client: SqlClient, event: DeliveryEvent): Promise<boolean> {
    return assignDriver(client, event);
  }

  /**
   * `delivery.picked_up` / `delivery.delivered`: moves the order along the delivery flow, recorded as the
   * driver's step; delivery also takes the payment. A step already applied, or one that no longer fits
   * (the order was cancelled), changes nothing. `delivered` arriving before `picked_up` throws, so the
   * consumer retries it once the earlier step has landed. An applied step is counted by
   * `deliveryStepCommitted`, once the caller's transaction has committed.
   */
  async applyDeliveryStep(client: PoolClient, step: DeliveryStep, event: DeliveryEvent): Promise<DeliveryStepOutcome> {
    const { from, to } = DELIVERY_STEPS[step];
    const order = await findOrder(client, event.orderId);
    if (!order) return 'unknown_order';
    if (order.status !== from) {
      if (order.status === to || (order.status === 'delivered' && to === 'picked_up')) return 'already_applied';
      if (step === 'delivered' && order.status === 'ready') {
        throw new Error(`Order ${order.id} is not picked up yet; delivery will be retried`);
      }
      return 'not_applicable';
    }
    const entry: StatusChange = { status: to, at: new Date().toISOString(), by: 'driver' };
    if (!(await changeStatus(client, { orderId: order.id, from, entry, driverId: event.driverId }))) {
      throw new Error(`Order ${order.id} changed while applying ${step}; will be retried`);
    }
    if (to === 'delivered') await this.deps.payments.capture(client, order.id);
    await this.announce(client, order.id, entry, { driverId: event.driverId });
    return 'applied';
  }

  /**
   * Counts an applied delivery step once its transaction has committed: counted inside it, a commit that
   * fails (and the retry that follows) would count the step twice.
   */
  deliveryStepCommitted(step: DeliveryStep): void {
    this.deps.metrics.statusChanges.inc({ status: DELIVERY_STEPS[step].to, by: 'driver' });
  }

  /** Writes the event announcing a change into the outbox, in the change's own transaction and the order's trace. */
  private async announce(
    client: PoolClient,
    orderId: string,
    entry: StatusChange,
    details: { reason?: string | null; driverId?: string },
  ): Promise<Order> {
    const order = (await findOrder(client, orderId)) as Order;
    const status = entry.status as Exclude<OrderStatus, 'pending'>;
    await appendToOutbox(
      client,
      { channel: ORDERS_OUTBOX_CHANNEL, trace: order.traceContext },
      statusEvent(order, status, { by: entry.by, ...details }),
    );
    return order;
  }
}

function invalidTransition(from: OrderStatus, to: OrderStatus, role: string): AppError {
  const reason = isFinal(from)
    ? `the order is already ${from}`
    : `a ${role.replace('_', ' ')} cannot move an order from ${from} to ${to}`;
  return new AppError('INVALID_TRANSITION', `Cannot change the status to ${to}: ${reason}`);
}
