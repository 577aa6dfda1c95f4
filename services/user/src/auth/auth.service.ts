import { createHash, randomBytes } from 'node:crypto';
import {
  AppError,
  type AuthUser,
  type Database,
  dependencyUnavailable,
  type Logger,
  type Metrics,
  type Queryable,
  type Redis,
  REVOCATIONS_CHANNEL,
  type Revocation,
  revokedFamilyKey,
  revokedTokenKey,
} from '@foodflow/platform';
import type { PasswordHasher } from '../security/password-hasher.js';
import { toUserResponse, type UserResponse } from '../users/user.mapper.js';
import type { UserRecord, UserRepository } from '../users/user.repository.js';
import type { AccessTokenIssuer } from './access-tokens.js';
import type { LoginInput, RegisterInput } from './auth.schemas.js';
import type { LoginLimiter } from './login-limiter.js';
import type { RefreshTokenRepository } from './refresh-token.repository.js';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface Session extends TokenPair {
  user: UserResponse;
}

export interface AuthServiceDeps {
  db: Database;
  redis: Redis;
  users: UserRepository;
  refreshTokens: RefreshTokenRepository;
  hasher: PasswordHasher;
  accessTokens: AccessTokenIssuer;
  limiter: LoginLimiter;
  logger: Logger;
  metrics: Metrics;
  refreshTtlS: number;
}

interface IssuedRefreshToken {
  familyId: string;
  token: string;
}

const REFRESH_TOKEN_BYTES = 32;
const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();
const invalidCredentials = (): AppError => new AppError('INVALID_CREDENTIALS', 'The email or password is wrong');
const invalidRefreshToken = (): AppError =>
  new AppError('UNAUTHENTICATED', 'The refresh token is invalid, expired or revoked');

/** Sign-up, sign-in, token refresh and sign-out. */
export class AuthService {
  private readonly registrations;
  private readonly logins;

  constructor(private readonly deps: AuthServiceDeps) {
    this.registrations = deps.metrics.counter({
      name: 'user_registrations_total',
      help: 'Accounts registered, by role',
      labelNames: ['role'] as const,
    });
    this.logins = deps.metrics.counter({
      name: 'user_logins_total',
      help: 'Login attempts that reached a password check, by outcome',
      labelNames: ['outcome'] as const,
    });
  }

  async register(input: RegisterInput): Promise<Session> {
    const passwordHash = await this.deps.hasher.hash(input.password);
    const { user, refreshToken } = await this.deps.db.transaction(async (q) => {
      const created = await this.deps.users.insert(q, { ...input, passwordHash });
      if (!created) throw new AppError('EMAIL_TAKEN', 'An account with this email already exists');
      return { user: created, refreshToken: await this.startFamily(q, created.id) };
    });
    this.registrations.inc({ role: user.role });
    return this.session(user, refreshToken);
  }

  async login(input: LoginInput, clientIp: string): Promise<Session> {
    const { limiter, users, hasher } = this.deps;
    await limiter.consume(input.email, clientIp);
    const user = await users.findByEmail(input.email);
    const valid = user
      ? await hasher.verify(input.password, user.passwordHash)
      : await hasher.verifyAgainstNothing(input.password);
    if (!user || !valid) {
      this.logins.inc({ outcome: 'failure' });
      throw invalidCredentials();
    }
    await limiter.recordSuccess(input.email, clientIp);
    this.logins.inc({ outcome: 'success' });
    const refreshToken = await this.deps.db.transaction((q) => this.startFamily(q, user.id));
    return this.session(user, refreshToken);
  }

  /**
   * Exchanges a refresh token for a new pair and spends it. A token presented after it was spent means
   * two parties hold it (one of them a thief): the whole family is revoked and both must sign in again.
   */
  async refresh(presented: string): Promise<TokenPair> {
    const tokenHash = hashToken(presented);
    const outcome = await this.deps.db.transaction(async (q) => {
      const spent = await this.deps.refreshTokens.spend(q, tokenHash);
      if (spent) {
        const refreshToken = { familyId: spent.familyId, token: await this.issueRefreshToken(q, spent.familyId) };
        return { spent, refreshToken };
      }
      const reusedFamily = await this.deps.refreshTokens.familyOfSpent(q, tokenHash);
      if (reusedFamily) {
        await this.deps.refreshTokens.revokeFamily(q, reusedFamily);
        this.deps.logger.warn('A spent refresh token was presented again; its family is revoked', {
          refreshTokenFamily: reusedFamily,
        });
      }
      return { reusedFamily };
    });
    if (outcome.reusedFamily) await this.revokeAccessTokensOf(outcome.reusedFamily);
    if (!outcome.spent) throw invalidRefreshToken();
    const user = await this.deps.users.findById(outcome.spent.userId);
    if (!user) throw invalidRefreshToken();
    return this.tokenPair(user, outcome.refreshToken);
  }

  /** Revokes this access token until it would expire, and the given refresh token's family if it is the caller's. */
  async logout(caller: AuthUser, refreshToken: string | undefined): Promise<void> {
    const remainingS = caller.expiresAt - Math.floor(Date.now() / 1000);
    if (remainingS > 0) {
      try {
        await this.deps.redis.set(revokedTokenKey(caller.tokenId), '1', 'EX', remainingS);
      } catch (err) {
        throw dependencyUnavailable('The session store', err);
      }
      await this.announce({ tokenId: caller.tokenId });
    }
    if (!refreshToken) return;
    const familyId = await this.deps.refreshTokens.revokeFamilyOfToken(hashToken(refreshToken), caller.id);
    if (familyId) await this.revokeAccessTokensOf(familyId);
  }

  /**
   * Access tokens carry their family as `sid`; marking the family revoked for one access-token lifetime
   * stops every token issued in it at once, not only when it expires. Repeating it is harmless, so a
   * failure here is answered 503 and the client's retry finishes the job.
   */
  private async revokeAccessTokensOf(familyId: string): Promise<void> {
    try {
      await this.deps.redis.set(revokedFamilyKey(familyId), '1', 'EX', this.deps.accessTokens.ttlS);
    } catch (err) {
      throw dependencyUnavailable('The session store', err);
    }
    await this.announce({ sessionId: familyId });
  }

  /**
   * Tells open connections (tracking sockets) to close now. Best effort: the denylist above is what
   * refuses the token, and a socket ends with its token's lifetime anyway.
   */
  private async announce(revocation: Revocation): Promise<void> {
    await this.deps.redis.publish(REVOCATIONS_CHANNEL, JSON.stringify(revocation)).catch((err: unknown) => {
      this.deps.logger.warn('Could not announce a revocation to open connections', { err });
    });
  }

  private async startFamily(q: Queryable, userId: string): Promise<IssuedRefreshToken> {
    const familyId = await this.deps.refreshTokens.createFamily(q, userId);
    return { familyId, token: await this.issueRefreshToken(q, familyId) };
  }

  /**
   * Opaque and random: only its hash is stored, so nothing in the database can be replayed. A family
   * that ended while an exchange was under way (a logout from another device, the purge) gets no new
   * token: the exchange fails like any other with an unusable token, and its transaction leaves the
   * presented token unspent.
   */
  private async issueRefreshToken(q: Queryable, familyId: string): Promise<string> {
    const token = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
    if (!(await this.deps.refreshTokens.insert(q, familyId, hashToken(token), this.deps.refreshTtlS))) {
      throw invalidRefreshToken();
    }
    return token;
  }

  private tokenPair(user: UserRecord, refreshToken: IssuedRefreshToken): TokenPair {
    const { accessTokens } = this.deps;
    return {
      accessToken: accessTokens.sign(user, refreshToken.familyId),
      refreshToken: refreshToken.token,
      expiresIn: accessTokens.ttlS,
    };
  }

  private session(user: UserRecord, refreshToken: IssuedRefreshToken): Session {
    return { user: toUserResponse(user), ...this.tokenPair(user, refreshToken) };
  }
}
