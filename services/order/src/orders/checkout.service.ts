import { randomUUID } from 'node:crypto';
import { AppError, currentTraceCarrier, type Database, type Logger, type OrderLine } from '@foodflow/platform';
import type { CartLine, CartRepository } from '../cart/cart.repository.js';
import { toOrderLine } from '../cart/cart.mapper.js';
import { type IdempotentAttempt, KeyAnsweredMeanwhile } from '../idempotency/idempotency.js';
import type { Authorization, PaymentService } from '../payments/payment.service.js';
import type { Pricing, RestaurantClient } from '../peers/restaurant.client.js';
import type { SavedAddress, UserClient } from '../peers/user.client.js';
import { statusEvent } from './order-events.js';
import type { OrderMetrics } from './order-metrics.js';
import { insertPlacedOrder, type NewOrder, type Order } from './order.repository.js';
import type { CheckoutInput } from './order.schemas.js';

export interface CheckoutDeps {
  db: Database;
  carts: CartRepository;
  restaurants: RestaurantClient;
  users: UserClient;
  payments: PaymentService;
  metrics: OrderMetrics;
  logger: Logger;
  /** Tells the outbox relay an event has just committed, so it publishes it without waiting to be polled. */
  outbox: { wake(): void };
}

/**
 * Turning a cart into an order: price it again with the restaurant (never trusting stored or client
 * prices), check the restaurant is open, every item available and the minimum reached, copy the
 * delivery address, hold the payment, then write the order, its payment, its `order.created` event and
 * the Idempotency-Key's answer in one transaction. The cart is emptied only once that has committed.
 */
export class CheckoutService {
  constructor(private readonly deps: CheckoutDeps) {}

  async placeOrder(customerId: string, input: CheckoutInput, attempt: IdempotentAttempt<Order>): Promise<Order> {
    const { db, carts, payments, metrics, logger } = this.deps;
    const cart = await carts.find(customerId);
    if (cart.lines.length === 0) throw new AppError('CART_EMPTY', 'The cart is empty');

    const [pricing, address] = await Promise.all([
      this.priceAgain(cart.lines),
      this.deps.users.savedAddress(customerId, input.addressId),
    ]);
    const draft = this.draftOrder(customerId, cart.lines, pricing, address, input.notes);

    const authorization = await payments.authorize(
      input.payment,
      { amountCents: draft.totalCents, currency: draft.currency },
      attempt.attemptId,
    );
    const order = pendingOrder(draft, authorization);
    try {
      const placed = await insertPlacedOrder(db, {
        order,
        providerReference: authorization.providerReference,
        event: statusEvent(order, 'created', { by: 'customer' }),
        answer: attempt.answer(order),
      });
      if (!placed) throw new KeyAnsweredMeanwhile();
    } catch (err) {
      await payments.release(authorization).catch((releaseError: unknown) => {
        logger.error('Could not release the payment hold of an order that was not created', { err: releaseError });
      });
      throw err;
    }
    this.deps.outbox.wake();

    metrics.created.inc();
    metrics.value.observe({ currency: order.currency }, order.totalCents);
    metrics.statusChanges.inc({ status: 'pending', by: 'customer' });
    await carts.clear(customerId).catch((err: unknown) => {
      logger.warn('Order placed but its cart could not be emptied', { err, order: { id: order.id } });
    });
    return order;
  }

  /** Current prices; an item the restaurant no longer knows is as unavailable as one switched off. */
  private async priceAgain(lines: CartLine[]): Promise<Pricing> {
    try {
      return await this.deps.restaurants.price(lines.map(({ menuItemId, quantity }) => ({ menuItemId, quantity })));
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') {
        throw new AppError('ITEM_UNAVAILABLE', 'An item in the cart is no longer on the menu', { cause: err });
      }
      throw err;
    }
  }

  private draftOrder(
    customerId: string,
    cartLines: CartLine[],
    { restaurant, lines }: Pricing,
    address: SavedAddress,
    notes: string | undefined,
  ): NewOrder {
    if (!restaurant.isOpen || !restaurant.isAcceptingOrders) {
      throw new AppError('RESTAURANT_CLOSED', `${restaurant.name} is not taking orders right now`);
    }
    const priced = new Map(lines.map((line) => [line.menuItemId, line]));
    const items: OrderLine[] = [];
    const unavailable: CartLine[] = [];
    for (const line of cartLines) {
      const current = priced.get(line.menuItemId);
      if (current?.isAvailable)
        items.push(toOrderLine({ ...line, name: current.name, unitPriceCents: current.unitPriceCents }));
      else unavailable.push(line);
    }
    if (unavailable.length > 0) {
      throw new AppError('ITEM_UNAVAILABLE', 'Some items in the cart are not available', {
        details: unavailable.map((line) => ({
          path: `items.${line.menuItemId}`,
          message: `${line.name} is not available`,
        })),
      });
    }
    const subtotalCents = items.reduce((sum, item) => sum + item.lineTotalCents, 0);
    if (subtotalCents < restaurant.minOrderCents) {
      throw new AppError(
        'BELOW_MINIMUM_ORDER',
        `The minimum order at ${restaurant.name} is ${restaurant.minOrderCents} cents; the cart holds ${subtotalCents}`,
      );
    }
    return {
      customerId,
      restaurantId: restaurant.restaurantId,
      restaurantOwnerId: restaurant.ownerId,
      items,
      subtotalCents,
      deliveryFeeCents: restaurant.deliveryFeeCents,
      totalCents: subtotalCents + restaurant.deliveryFeeCents,
      currency: restaurant.currency,
      pickupLocation: restaurant.location,
      deliveryAddress: {
        label: address.label,
        street: address.street,
        city: address.city,
        postalCode: address.postalCode,
        location: address.location,
      },
      notes: notes || null,
    };
  }
}

/**
 * The order as it is created: pending, with its first history entry, its payment as authorized, and the
 * checkout's trace as its own.
 */
function pendingOrder(draft: NewOrder, authorization: Authorization): Order {
  const now = new Date();
  return {
    ...draft,
    id: randomUUID(),
    driverId: null,
    deliveryId: null,
    status: 'pending',
    cancelReason: null,
    statusHistory: [{ status: 'pending', at: now.toISOString(), by: 'customer' }],
    payment: { method: authorization.method, status: authorization.status },
    traceContext: currentTraceCarrier(),
    createdAt: now,
    updatedAt: now,
  };
}
