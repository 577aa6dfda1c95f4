import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors/app-error.js';
import { describeHandler } from '../http/openapi.js';
import { currentContext } from '../logging/request-context.js';
import { type AuthUser, bearerToken, type Role, type TokenVerifier } from './tokens.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      user?: AuthUser;
    }
  }
}

/** Requires a valid, unrevoked access token and puts the caller in `res.locals.user`. */
export function requireAuth(verifier: TokenVerifier) {
  return describeHandler(
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      const token = bearerToken(req.get('authorization'));
      if (!token) throw new AppError('UNAUTHENTICATED', 'A bearer access token is required');
      const user = await verifier.verify(token);
      res.locals.user = user;
      const context = currentContext();
      if (context) context.userId = user.id;
      next();
    },
    { authenticated: true },
  );
}

/** Lets only the given roles through (after `requireAuth`). */
export function requireRole(...roles: Role[]) {
  return describeHandler(
    (_req: Request, res: Response, next: NextFunction): void => {
      const user = res.locals.user;
      if (!user) throw new AppError('UNAUTHENTICATED', 'A bearer access token is required');
      if (!roles.includes(user.role))
        throw new AppError('FORBIDDEN', `This needs one of the roles: ${roles.join(', ')}`);
      next();
    },
    { roles },
  );
}

/** The authenticated caller of a request that passed `requireAuth`. */
export function authUser(res: Response): AuthUser {
  const user = res.locals.user;
  if (!user) throw new AppError('UNAUTHENTICATED', 'A bearer access token is required');
  return user;
}
