import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { runWithContext } from '../logging/request-context.js';

export const REQUEST_ID_HEADER = 'X-Request-ID';
const REQUEST_ID_KEY = REQUEST_ID_HEADER.toLowerCase();

/** Accepts a caller's id only if it is a sane token; anything else is replaced rather than logged verbatim. */
const acceptable = /^[\w.:-]{1,128}$/;

/** Takes the caller's `X-Request-ID` (or makes one), echoes it, and runs the rest of the request inside its context. */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  const given = req.headers[REQUEST_ID_KEY];
  const id = typeof given === 'string' && acceptable.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  res.locals['requestId'] = id;
  runWithContext({ requestId: id }, next);
}
