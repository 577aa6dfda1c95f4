import type { Logger, Redis } from '@foodflow/platform';
import type { FieldCipher } from '../security/field-cipher.js';
import type { UserResponse } from './user.mapper.js';

const key = (userId: string): string => `users:profile:${userId}`;

/**
 * Profiles cached in Redis. The cache is an optimisation only: when Redis fails, reads fall through
 * to the database and the failure is logged, never shown to the client. Entries are encrypted like
 * the database columns, so the phone number is not left readable in Redis (or its snapshots).
 * A read racing an update can put the old profile back after the invalidation; the short TTL bounds that.
 */
export class ProfileCache {
  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    private readonly ttlS: number,
    private readonly logger: Logger,
  ) {}

  async get(userId: string): Promise<UserResponse | undefined> {
    try {
      const cached = await this.redis.get(key(userId));
      return cached === null ? undefined : (JSON.parse(this.cipher.decrypt(cached)) as UserResponse);
    } catch (err) {
      this.logger.warn('Profile cache read failed; reading from the database', { err });
      return undefined;
    }
  }

  async set(profile: UserResponse): Promise<void> {
    try {
      await this.redis.set(key(profile.id), this.cipher.encrypt(JSON.stringify(profile)), 'EX', this.ttlS);
    } catch (err) {
      this.logger.warn('Profile cache write failed', { err });
    }
  }

  async invalidate(userId: string): Promise<void> {
    try {
      await this.redis.del(key(userId));
    } catch (err) {
      // The change is committed; at worst the old profile is served until the entry's TTL runs out.
      this.logger.error('Profile cache invalidation failed', { err, user: { id: userId } });
    }
  }
}
