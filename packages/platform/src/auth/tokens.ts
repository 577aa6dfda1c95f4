import { createPublicKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Redis } from 'ioredis';
import { AppError, dependencyUnavailable } from '../errors/app-error.js';

export const ROLES = ['customer', 'restaurant_owner', 'driver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Only ES256: pinned on verification so no token can choose its own algorithm (`none`, HS256 with the public key). */
export const JWT_ALGORITHM = 'ES256' as const;
/** RFC 9068 access-token type, in the JWT header; anything else (a refresh token, an ID token) is refused. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenClaims {
  sub: string;
  role: Role;
  firstName: string;
  jti: string;
  iat: number;
  exp: number;
  /** The sign-in session (refresh-token family) the token was issued in; revoking it revokes the token. */
  sid?: string;
}

/** The authenticated caller, as every service sees it. */
export interface AuthUser {
  id: string;
  role: Role;
  firstName: string;
  tokenId: string;
  expiresAt: number;
  /** The `sid` claim, when the token names its sign-in session. */
  sessionId?: string;
}

/** Redis key marking an access token as revoked until it would have expired anyway. */
export const revokedTokenKey = (jti: string): string => `auth:revoked:${jti}`;

/** Redis key marking a sign-in session (the `sid` claim: a refresh-token family) revoked while its tokens live. */
export const revokedFamilyKey = (sid: string): string => `auth:revoked-family:${sid}`;

/**
 * The Redis pub/sub channel on which revocations are announced as they happen (a JSON `Revocation`), so
 * long-lived connections opened with a revoked token (tracking sockets) are closed at once.
 */
export const REVOCATIONS_CHANNEL = 'auth:revocations';

export interface Revocation {
  tokenId?: string;
  sessionId?: string;
}

/** Whether a revocation covers the token a caller authenticated with. */
export const revokes = (revocation: Revocation, user: AuthUser): boolean =>
  (revocation.tokenId !== undefined && revocation.tokenId === user.tokenId) ||
  (revocation.sessionId !== undefined && revocation.sessionId === user.sessionId);

export interface TokenVerifierOptions {
  publicKey: string;
  issuer: string;
  audience: string;
  /** Where revoked token ids live; without it revocation is not checked (never in a service). */
  redis?: Redis;
}

const unauthenticated = (message = 'A valid access token is required'): AppError =>
  new AppError('UNAUTHENTICATED', message);

/** Verifies access tokens for every service: signature, algorithm, issuer, audience, expiry, type and revocation. */
export class TokenVerifier {
  /** Parsed once: turning the PEM into a key on every request cost more than checking the signature. */
  private readonly publicKey: KeyObject;

  constructor(private readonly options: TokenVerifierOptions) {
    this.publicKey = createPublicKey(options.publicKey);
  }

  /** Checks everything but revocation; safe to call without I/O. */
  verifySignature(token: string): AuthUser {
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(token, this.publicKey, {
        algorithms: [JWT_ALGORITHM],
        issuer: this.options.issuer,
        audience: this.options.audience,
        complete: true,
      });
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw new AppError('TOKEN_EXPIRED', 'The access token has expired');
      throw unauthenticated('The access token is invalid');
    }
    if (decoded.header.typ !== ACCESS_TOKEN_TYPE) throw unauthenticated('This is not an access token');
    const claims = decoded.payload as Partial<AccessTokenClaims>;
    if (
      typeof claims.sub !== 'string' ||
      typeof claims.jti !== 'string' ||
      typeof claims.exp !== 'number' ||
      !ROLES.includes(claims.role as Role)
    ) {
      throw unauthenticated('The access token is missing required claims');
    }
    return {
      id: claims.sub,
      role: claims.role as Role,
      firstName: typeof claims.firstName === 'string' ? claims.firstName : '',
      tokenId: claims.jti,
      expiresAt: claims.exp,
      ...(typeof claims.sid === 'string' ? { sessionId: claims.sid } : {}),
    };
  }

  async verify(token: string): Promise<AuthUser> {
    const user = this.verifySignature(token);
    if (this.options.redis) {
      let revoked: number;
      try {
        const keys = [revokedTokenKey(user.tokenId)];
        if (user.sessionId !== undefined) keys.push(revokedFamilyKey(user.sessionId));
        revoked = await this.options.redis.exists(...keys);
      } catch (err) {
        // Fail closed: without the denylist we cannot tell a logged-out token from a live one.
        throw dependencyUnavailable('The session store', err);
      }
      if (revoked) throw unauthenticated('The access token has been revoked');
    }
    return user;
  }
}

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}
