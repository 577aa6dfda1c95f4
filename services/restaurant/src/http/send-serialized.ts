import type { Request, Response } from 'express';
import type { SerializedBody } from '../cache/public-cache.js';

type EtagFn = (body: Buffer) => string | undefined;

const CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Sends a body the cache already holds as JSON, without parsing and serializing it again. Its entity tag
 * (the app's own, as Express would compute it) is worked out once per cached body, not per request.
 *
 * A plain request (no conditional headers, status still 200) is answered directly, as `res.send` would
 * answer it; a conditional one goes through `res.send`, whose freshness check turns it into a 304 when
 * the caller's copy is current.
 */
export function sendSerialized(req: Request, res: Response, serialized: SerializedBody): void {
  const etagOf = res.app.get('etag fn') as EtagFn | undefined;
  if (etagOf) serialized.etag ??= etagOf(serialized.body);
  const { body, etag } = serialized;
  const { headers } = req;
  if (res.statusCode !== 200 || headers['if-none-match'] !== undefined || headers['if-modified-since'] !== undefined) {
    if (etag) res.setHeader('ETag', etag);
    res.setHeader('Content-Type', CONTENT_TYPE);
    res.send(body);
    return;
  }
  res.setHeader('Content-Type', CONTENT_TYPE);
  res.setHeader('Content-Length', body.length);
  if (etag) res.setHeader('ETag', etag);
  res.writeHead(200);
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}
