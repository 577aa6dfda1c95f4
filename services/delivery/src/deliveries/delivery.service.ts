import { AppError, type AuthUser, currentRequestId, type Database, type Logger, notFound } from '@foodflow/platform';
import { Batcher } from '../batcher.js';
import type { DriverPresence } from '../drivers/driver-presence.js';
import type { Realtime } from '../realtime/realtime.js';
import type { AssignmentService } from './assignment.service.js';
import { announce } from './delivery-events.js';
import type { DeliveryMetrics } from './delivery-metrics.js';
import { type DeliveryResponse, toDeliveryResponse } from './delivery.mapper.js';
import type { DeliveryRecord, DeliveryRepository, DriverFix } from './delivery.repository.js';
import type { DeliveryStatusBody, ListDeliveriesQuery, LocationBody } from './delivery.schemas.js';

export interface DeliveryServiceDeps {
  db: Database;
  deliveries: DeliveryRepository;
  presence: DriverPresence;
  assignment: AssignmentService;
  realtime: Realtime;
  metrics: DeliveryMetrics;
  logger: Logger;
}

/** The step each status is reached from: a delivery moves assigned → picked_up → delivered, nothing else. */
const PREVIOUS_STEP = { picked_up: 'assigned', delivered: 'picked_up' } as const;

/** Positions stored by one statement at most; more wait for the next. */
const LOCATION_BATCH_MAX = 500;
/**
 * Location statements running at once. One: positions arriving while it runs wait and go together in the
 * next, so under load each statement (its round trip, its commit) is shared by many; and updates never
 * take more than one connection of the pool.
 */
const LOCATION_BATCHES_AT_ONCE = 1;
/**
 * How long a position waits for others to share its statement: besides the insert and its commit, a batch
 * moves its drivers on the map and its pushes leave for Redis (and come back from the stream) together.
 */
const LOCATION_LINGER_MS = 4;

export class DeliveryService {
  private readonly locations = new Batcher<DriverFix, boolean>({
    handle: (fixes) => this.storeLocations(fixes),
    maxSize: LOCATION_BATCH_MAX,
    concurrency: LOCATION_BATCHES_AT_ONCE,
    lingerMs: LOCATION_LINGER_MS,
  });

  constructor(private readonly deps: DeliveryServiceDeps) {}

  /** A driver's own deliveries, or every delivery for an admin. */
  async list(user: AuthUser, query: ListDeliveriesQuery) {
    const { items, total } = await this.deps.deliveries.list(this.deps.db, {
      ...query,
      ...(user.role === 'admin' ? {} : { driverId: user.id }),
    });
    return { data: items.map(toDeliveryResponse), page: query.page, pageSize: query.pageSize, total };
  }

  async get(user: AuthUser, id: string): Promise<DeliveryResponse> {
    const delivery = await this.deps.deliveries.findById(this.deps.db, id);
    if (!delivery || !this.canSee(user, delivery)) throw notFound('Delivery');
    return toDeliveryResponse(delivery);
  }

  /** The driver's next step, announced through the outbox in the same transaction. */
  async updateStatus(user: AuthUser, id: string, { status }: DeliveryStatusBody): Promise<DeliveryResponse> {
    const { db, deliveries } = this.deps;
    const delivery = await db.transaction(async (client) => {
      const moved = await deliveries.advance(client, id, user.id, PREVIOUS_STEP[status], status);
      if (!moved) throw await this.whyNot(id, user, 'INVALID_TRANSITION', `move to ${status}`);
      await announce(client, status, moved, currentRequestId());
      return moved;
    });
    if (status === 'delivered') {
      this.deps.metrics.delivered(delivery);
      this.offerNextDelivery(user.id);
    }
    return toDeliveryResponse(delivery);
  }

  /**
   * A driver's position on an active delivery: appended to the history (acknowledged only once stored),
   * pushed to everyone tracking the order, and kept as the driver's place on the map. Positions arriving
   * together are stored together (see `storeLocations`).
   */
  async recordLocation(user: AuthUser, id: string, body: LocationBody): Promise<{ ok: true }> {
    const stored = await this.locations.add({
      deliveryId: id,
      driverId: user.id,
      lat: body.lat,
      lng: body.lng,
      heading: body.heading ?? null,
      speedKmh: body.speedKmh ?? null,
    });
    if (!stored) throw await this.whyNot(id, user, 'CONFLICT', 'take locations once it is over or not yet assigned');
    return { ok: true };
  }

  /**
   * One batch of positions: one statement stores those on active deliveries of their drivers; then, at the
   * same time, they are pushed to the orders' trackers and move their drivers on the map.
   */
  private async storeLocations(fixes: DriverFix[]): Promise<boolean[]> {
    const stored = await this.deps.deliveries.appendLocations(this.deps.db, fixes);
    const accepted = fixes.flatMap((fix, i) => {
      const saved = stored[i];
      return saved ? [{ ...fix, orderId: saved.orderId, at: saved.at.toISOString() }] : [];
    });
    // The updates are stored: from here on a failure must not make the drivers send them again (duplicates
    // in the history). The map only helps assignment, so it may lag a moment.
    const mapped = this.deps.presence.recordPositions(accepted).catch((err: unknown) => {
      this.deps.logger.warn('Could not move drivers on the map', { err });
    });
    try {
      for (const { driverId: _driverId, ...update } of accepted) this.deps.realtime.locationUpdate(update);
    } catch (err) {
      this.deps.logger.warn('Could not push driver positions to their trackers', { err });
    }
    await mapped;
    return stored.map((saved) => saved !== undefined);
  }

  private canSee(user: AuthUser, delivery: DeliveryRecord): boolean {
    return user.role === 'admin' || delivery.driverId === user.id;
  }

  /** Someone else's delivery does not exist for the caller; their own in the wrong state is a conflict. */
  private async whyNot(
    id: string,
    user: AuthUser,
    code: 'INVALID_TRANSITION' | 'CONFLICT',
    action: string,
  ): Promise<AppError> {
    const delivery = await this.deps.deliveries.findById(this.deps.db, id);
    if (!delivery || delivery.driverId !== user.id) return notFound('Delivery');
    return new AppError(code, `A delivery in status ${delivery.status} cannot ${action}`);
  }

  /** A driver who just finished takes the oldest waiting delivery near them, without holding up the reply. */
  private offerNextDelivery(driverId: string): void {
    this.deps.assignment.assignWaitingTo(driverId, currentRequestId() ?? null).catch((err: unknown) => {
      this.deps.logger.warn('Could not offer the next delivery; the periodic sweep will', { err });
    });
  }
}
