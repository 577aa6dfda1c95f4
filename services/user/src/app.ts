import {
  createHttpApp,
  type Database,
  every,
  infrastructureChecks,
  type Logger,
  type Metrics,
  type Redis,
  requireAuth,
  TokenVerifier,
} from '@foodflow/platform';
import type { Express } from 'express';
import { addressRoutes, internalAddressRoutes } from './addresses/address.routes.js';
import { AddressRepository } from './addresses/address.repository.js';
import { AddressService } from './addresses/address.service.js';
import { AccessTokenIssuer } from './auth/access-tokens.js';
import { authRoutes } from './auth/auth.routes.js';
import { AuthService } from './auth/auth.service.js';
import { LoginLimiter } from './auth/login-limiter.js';
import { RefreshTokenRepository } from './auth/refresh-token.repository.js';
import { SERVICE_NAME, type UserConfig } from './config.js';
import { FieldCipher } from './security/field-cipher.js';
import type { PasswordHasher } from './security/password-hasher.js';
import { ProfileCache } from './users/profile-cache.js';
import { UserRepository } from './users/user.repository.js';
import { userRoutes } from './users/user.routes.js';
import { UserService } from './users/user.service.js';

export interface UserServiceDeps {
  config: UserConfig;
  logger: Logger;
  metrics: Metrics;
  db: Database;
  redis: Redis;
  hasher: PasswordHasher;
}

export interface UserServiceApp {
  app: Express;
  /** Starts the background work (the refresh-token purge). */
  start: () => void;
  stop: () => Promise<void>;
}

/** Builds the user service from its dependencies; never listens (main.ts and the tests do). */
export function createApp(deps: UserServiceDeps): UserServiceApp {
  const { config, logger, metrics, db, redis, hasher } = deps;
  const { extra, auth } = config;

  const cipher = new FieldCipher(extra.dataKeys);
  const users = new UserRepository(db, cipher);
  const refreshTokens = new RefreshTokenRepository(db);
  const accessTokens = new AccessTokenIssuer({
    privateKey: extra.tokens.privateKey,
    publicKey: auth.publicKey,
    issuer: auth.issuer,
    audience: auth.audience,
    ttlS: extra.tokens.accessTtlS,
  });
  const authService = new AuthService({
    db,
    redis,
    users,
    refreshTokens,
    hasher,
    accessTokens,
    limiter: new LoginLimiter(redis, extra.loginLimits),
    logger,
    metrics,
    refreshTtlS: extra.tokens.refreshTtlS,
  });
  const userService = new UserService(users, new ProfileCache(redis, cipher, extra.profileCacheTtlS, logger));
  const addressService = new AddressService(db, new AddressRepository(db, cipher));
  const authenticated = requireAuth(new TokenVerifier({ ...auth, redis }));

  const app = createHttpApp({
    title: 'Food Flow user service',
    logger,
    metrics,
    health: infrastructureChecks({ db, redis }),
    routes: (router) => {
      router.use(authRoutes(authService, accessTokens.jwks, authenticated));
      router.use(userRoutes(userService, authenticated));
      router.use(addressRoutes(addressService, authenticated));
      router.use(internalAddressRoutes(addressService, { secret: config.internal.secret, self: SERVICE_NAME }));
    },
  });

  let purge: { stop: () => Promise<void> } | undefined;
  return {
    app,
    start: () => {
      purge ??= every(
        'refresh-token-purge',
        extra.tokens.purgeIntervalMs,
        async () => {
          const purged = await refreshTokens.purge();
          if (purged > 0) logger.info(`Purged ${purged} expired or revoked refresh tokens`);
        },
        logger,
      );
    },
    stop: async () => {
      await purge?.stop();
      purge = undefined;
    },
  };
}
