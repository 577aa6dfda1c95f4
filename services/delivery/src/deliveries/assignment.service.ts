import { type Database, inSpan, type Logger, type PoolClient, SpanKind } from '@foodflow/platform';
import type { DriverPresence } from '../drivers/driver-presence.js';
import { announce } from './delivery-events.js';
import type { DeliveryMetrics } from './delivery-metrics.js';
import type { DeliveryRecord, DeliveryRepository } from './delivery.repository.js';

const UNIQUE_VIOLATION = '23505';

export interface AssignmentDeps {
  db: Database;
  deliveries: DeliveryRepository;
  presence: DriverPresence;
  metrics: DeliveryMetrics;
  logger: Logger;
  radiusKm: number;
}

/**
 * Matches deliveries and drivers. Any number of service instances may assign at once: a driver is
 * claimed with a transaction-scoped advisory lock (others move on to the next driver), and the database's
 * unique index on active deliveries per driver is the last word, so no driver ever holds two.
 */
export class AssignmentService {
  constructor(private readonly deps: AssignmentDeps) {}

  /** Inside the caller's transaction: gives a waiting delivery to the nearest free online driver, if any. */
  async assignNearest(
    client: PoolClient,
    delivery: DeliveryRecord,
    correlationId: string | null,
  ): Promise<DeliveryRecord | undefined> {
    const { presence, deliveries, radiusKm } = this.deps;
    const nearby = await presence.nearestOnline(delivery.pickup, radiusKm);
    if (nearby.length === 0) return undefined;
    const busy = await deliveries.busyDrivers(
      client,
      nearby.map((d) => d.driverId),
    );
    for (const { driverId } of nearby) {
      if (busy.has(driverId)) continue;
      const assigned = await this.tryAssign(client, delivery.id, driverId, correlationId);
      if (assigned) return assigned;
    }
    return undefined;
  }

  /**
   * A driver came online or became free: gives them the oldest delivery waiting near them. Commits on its
   * own; returns the delivery they got, if any.
   */
  async assignWaitingTo(driverId: string, correlationId: string | null = null): Promise<DeliveryRecord | undefined> {
    const { db, deliveries, presence, radiusKm } = this.deps;
    const driver = await presence.onlineDriver(driverId);
    if (!driver) return undefined;
    const assigned = await db.transaction(async (client) => {
      // The waiting delivery first: a driver with nothing near them is never locked, so a sweep cannot
      // keep an order becoming ready next to them from reaching its nearest driver.
      const waiting = await deliveries.lockOldestAwaitingNear(client, driver.location, radiusKm);
      if (!waiting) return undefined;
      if (!(await deliveries.tryLockDriver(client, driverId))) return undefined;
      if ((await deliveries.busyDrivers(client, [driverId])).size > 0) return undefined;
      const delivery = await deliveries.assign(client, waiting.id, driver);
      if (delivery) await announce(client, 'assigned', delivery, correlationId);
      return delivery;
    });
    if (assigned) this.deps.metrics.assigned(assigned);
    return assigned;
  }

  /**
   * The safety net behind the event-driven paths: a driver who came online while an order was becoming
   * ready on another instance may have missed it; this hands out what still waits to whoever is free.
   * Handing out is a trace of its own (none while nothing waits or nobody is free), which each delivery it
   * assigns links to.
   */
  async sweep(): Promise<number> {
    const { db, deliveries, presence } = this.deps;
    if (!(await deliveries.anyAwaiting(db))) return 0;
    const online = await presence.onlineDriverIds();
    if (online.length === 0) return 0;
    const busy = await deliveries.busyDrivers(db, online);
    const free = online.filter((driverId) => !busy.has(driverId));
    if (free.length === 0) return 0;
    return inSpan({ name: 'sweep waiting deliveries', kind: SpanKind.INTERNAL }, async () => {
      let count = 0;
      for (const driverId of free) {
        if (await this.assignWaitingTo(driverId)) count += 1;
      }
      return count;
    });
  }

  /** The savepoint keeps a race lost to another instance (a unique violation) from aborting the whole transaction. */
  private async tryAssign(
    client: PoolClient,
    deliveryId: string,
    driverId: string,
    correlationId: string | null,
  ): Promise<DeliveryRecord | undefined> {
    const { deliveries, presence } = this.deps;
    if (!(await deliveries.tryLockDriver(client, driverId))) return undefined;
    const firstName = await presence.firstName(driverId);
    await client.query('SAVEPOINT assign_driver');
    try {
      const delivery = await deliveries.assign(client, deliveryId, { id: driverId, firstName });
      await client.query('RELEASE SAVEPOINT assign_driver');
      if (delivery) await announce(client, 'assigned', delivery, correlationId);
      return delivery;
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      await client.query('ROLLBACK TO SAVEPOINT assign_driver');
      return undefined;
    }
  }
}
