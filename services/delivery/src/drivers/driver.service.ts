import { type AuthUser, currentRequestId, type Logger } from '@foodflow/platform';
import type { AssignmentService } from '../deliveries/assignment.service.js';
import type { DriverPresence } from './driver-presence.js';
import type { AvailabilityBody } from './driver.schemas.js';

export class DriverService {
  constructor(
    private readonly presence: DriverPresence,
    private readonly assignment: AssignmentService,
    private readonly logger: Logger,
  ) {}

  /** A driver going online is placed on the map and at once offered the oldest delivery waiting near them. */
  async setAvailability(driver: AuthUser, { online, location }: AvailabilityBody): Promise<AvailabilityBody> {
    if (!online) {
      await this.presence.goOffline(driver.id);
      return { online, location };
    }
    await this.presence.goOnline(driver, location);
    try {
      await this.assignment.assignWaitingTo(driver.id, currentRequestId() ?? null);
    } catch (err) {
      // Being online is already true and acknowledged; the periodic sweep retries the matching.
      this.logger.warn('Could not offer a waiting delivery to a driver coming online', { err });
    }
    return { online, location };
  }
}
