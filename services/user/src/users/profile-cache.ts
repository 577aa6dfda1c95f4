import { randomUUID } from 'node:crypto';
import type { Logger, Redis } from '@foodflow/platform';
import { type FieldCipher, fieldContext } from '../security/field-cipher.js';
import type { UserResponse } from './user.mapper.js';

const generationKey = (userId: string): string => `users:profile-generation:${userId}`;
const entryKey = (userId: string, generation: string): string => `users:profile:${userId}:${generation}`;
const context = (userId: string): string => fieldContext('redis.users:profile', userId);
/** The generation of a profile not changed within the last two entry lifetimes (no generation key). */
const FIRST_GENERATION = '0';

/** A cache read: the profile if cached, and the generation a database read may be cached under. */
export interface ProfileLookup {
  profile: UserResponse | undefined;
  /** Undefined when Redis could not be read: then nothing is written back either. */
  generation: string | undefined;
}

/**
 * Profiles cached in Redis. The cache is an optimisation only: when Redis fails, reads fall through
 * to the database and the failure is logged, never shown to the client. Entries are encrypted like
 * the database columns, so the phone number is not left readable in Redis (or its snapshots).
 *
 * Every change gives the user a new generation, and entries live under the generation that was
 * current when their database read began. A read racing an update therefore writes its old copy
 * under a generation nobody looks up any more, instead of over the invalidation.
 *
 * A generation is random, never a counter, so its key can expire: once it has, readers are back on
 * the first generation, whose entries all ended long before (the key outlives an entry twice over),
 * and no later generation can meet an entry of an earlier one.
 */
export class ProfileCache {
  constructor(
    private readonly redis: Redis,
    private readonly cipher: FieldCipher,
    private readonly ttlS: number,
    private readonly logger: Logger,
  ) {}

  /** Call before reading the database, and pass the generation to `set`. */
  async get(userId: string): Promise<ProfileLookup> {
    try {
      const generation = (await this.redis.get(generationKey(userId))) ?? FIRST_GENERATION;
      const cached = await this.redis.get(entryKey(userId, generation));
      const profile =
        cached === null ? undefined : (JSON.parse(this.cipher.decrypt(cached, context(userId))) as UserResponse);
      return { profile, generation };
    } catch (err) {
      this.logger.warn('Profile cache read failed; reading from the database', { err });
      return { profile: undefined, generation: undefined };
    }
  }

  async set(profile: UserResponse, generation: string): Promise<void> {
    try {
      const sealed = this.cipher.encrypt(JSON.stringify(profile), context(profile.id));
      await this.redis.set(entryKey(profile.id, generation), sealed, 'EX', this.ttlS);
    } catch (err) {
      this.logger.warn('Profile cache write failed', { err });
    }
  }

  /** After a committed change: readers move to a new generation, so no older copy is served again. */
  async invalidate(userId: string): Promise<void> {
    try {
      await this.redis.set(generationKey(userId), randomUUID(), 'EX', this.ttlS * 2);
    } catch (err) {
      // The change is committed; at worst the old profile is served until the entry's TTL runs out.
      this.logger.error('Profile cache invalidation failed', { err, user: { id: userId } });
    }
  }
}
