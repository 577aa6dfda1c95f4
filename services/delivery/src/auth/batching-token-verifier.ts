import {
  AppError,
  type AuthUser,
  dependencyUnavailable,
  type Redis,
  revokedFamilyKey,
  revokedTokenKey,
  TokenVerifier,
  type TokenVerifierOptions,
} from '@foodflow/platform';
import { LRUCache } from 'lru-cache';
import { Batcher } from '../batcher.js';

/** Tokens remembered at most: one per driver reporting positions, with room to spare. */
const REMEMBERED_TOKENS = 10_000;
/** Revocation lookups sent in one round trip at most. */
const LOOKUPS_PER_ROUND_TRIP = 500;
/** Round trips under way at once; lookups arriving meanwhile wait for the next. */
const ROUND_TRIPS_AT_ONCE = 4;
/** How long a lookup waits for others to share its round trip. */
const LOOKUP_LINGER_MS = 2;

/**
 * The platform's token checks, made cheap enough for drivers who each send a position every few seconds
 * with the same access token. A signature, once checked, is remembered for that exact token string (what it
 * proves depends only on those bytes), and expiry is checked again on every use. Revocation is still asked
 * of Redis for every request, but the lookups of requests that arrive together share one round trip.
 */
export class BatchingTokenVerifier extends TokenVerifier {
  private readonly checked = new LRUCache<string, AuthUser>({ max: REMEMBERED_TOKENS });
  private readonly revocations: Batcher<string[], boolean> | undefined;

  constructor(options: TokenVerifierOptions) {
    super(options);
    const { redis } = options;
    if (redis) {
      this.revocations = new Batcher({
        handle: (lookups) => anyRevoked(redis, lookups),
        maxSize: LOOKUPS_PER_ROUND_TRIP,
        concurrency: ROUND_TRIPS_AT_ONCE,
        lingerMs: LOOKUP_LINGER_MS,
      });
    }
  }

  override verifySignature(token: string): AuthUser {
    const known = this.checked.get(token);
    if (!known) {
      const user = Object.freeze(super.verifySignature(token));
      this.checked.set(token, user);
      return user;
    }
    if (Date.now() >= known.expiresAt * 1000) {
      this.checked.delete(token);
      throw new AppError('TOKEN_EXPIRED', 'The access token has expired');
    }
    return known;
  }

  override async verify(token: string): Promise<AuthUser> {
    const user = this.verifySignature(token);
    if (!this.revocations) return user;
    const keys = [revokedTokenKey(user.tokenId)];
    if (user.sessionId !== undefined) keys.push(revokedFamilyKey(user.sessionId));
    if (await this.revocations.add(keys)) throw new AppError('UNAUTHENTICATED', 'The access token has been revoked');
    return user;
  }
}

/** Whether any key of each lookup exists, for many lookups in one pipeline; fails closed. */
async function anyRevoked(redis: Redis, lookups: string[][]): Promise<boolean[]> {
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await redis.pipeline(lookups.map((keys) => ['exists', ...keys])).exec();
  } catch (err) {
    // Without the denylist we cannot tell a logged-out token from a live one.
    throw dependencyUnavailable('The session store', err);
  }
  return lookups.map((_, i) => {
    const [err, count] = replies?.[i] ?? [new Error('no reply'), 0];
    if (err) throw dependencyUnavailable('The session store', err);
    return Number(count) > 0;
  });
}
