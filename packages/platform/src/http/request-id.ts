import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-ID';
const REQUEST_ID_KEY = REQUEST_ID_HEADER.toLowerCase();

/** Accepts a caller's id only if it is a sane token; anything else is replaced rather than logged verbatim. */
const acceptable = /^[\w.:-]{1,128}$/;

/** The request's id: the caller's `X-Request-ID` when it is acceptable, a new one otherwise; echoed in the response. */
export function assignRequestId(req: Request, res: Response): string {
  const given = req.headers[REQUEST_ID_KEY];
  const id = typeof given === 'string' && acceptable.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
