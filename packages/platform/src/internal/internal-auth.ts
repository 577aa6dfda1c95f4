import jwt from 'jsonwebtoken';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from '../errors/app-error.js';

/**
 * Service-to-service calls: every internal endpoint lives under `/internal/`, a prefix the gateway never
 * routes, and carries a short-lived HS256 token signed with the shared internal secret. Its issuer names
 * the calling service and its audience the called one, so a token for one service is useless at another.
 */
const SERVICE_TOKEN_TYPE = 'svc+jwt';
const TOKEN_LIFETIME_S = 60;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** The service that made an internal call. */
      caller?: string;
    }
  }
}

export function signServiceToken(secret: string, caller: string, target: string): string {
  return jwt.sign({}, secret, {
    algorithm: 'HS256',
    issuer: caller,
    audience: target,
    expiresIn: TOKEN_LIFETIME_S,
    header: { alg: 'HS256', typ: SERVICE_TOKEN_TYPE },
  });
}

/** Admits only calls from the named services, with a valid token addressed to this service. */
export function requireService(options: { secret: string; self: string; allowed: string[] }) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const match = /^Service\s+(\S+)$/.exec(req.get('authorization') ?? '');
    if (!match?.[1]) throw new AppError('UNAUTHENTICATED', 'A service token is required');
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(match[1], options.secret, {
        algorithms: ['HS256'],
        audience: options.self,
        complete: true,
      });
    } catch {
      throw new AppError('UNAUTHENTICATED', 'The service token is invalid');
    }
    const caller = (decoded.payload as jwt.JwtPayload).iss;
    if (decoded.header.typ !== SERVICE_TOKEN_TYPE || !caller) {
      throw new AppError('UNAUTHENTICATED', 'The service token is invalid');
    }
    if (!options.allowed.includes(caller)) throw new AppError('FORBIDDEN', `${caller} may not call this endpoint`);
    res.locals.caller = caller;
    next();
  };
}
