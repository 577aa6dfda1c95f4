import type { Response } from 'express';

/** Sends a body the cache already holds as JSON text, without parsing and serializing it again. */
export function sendSerialized(res: Response, body: string): void {
  res.type('application/json').send(body);
}
