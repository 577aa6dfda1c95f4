import type { Response } from 'express';
import type { SerializedBody } from '../cache/public-cache.js';

type EtagFn = (body: Buffer) => string | undefined;

/**
 * Sends a body the cache already holds as JSON bytes, without parsing and serializing it again. Its entity
 * tag (the app's own, as Express would compute it) is worked out once per cached body, not per request.
 */
export function sendSerialized(res: Response, serialized: SerializedBody): void {
  const etagOf = res.app.get('etag fn') as EtagFn | undefined;
  if (etagOf) {
    serialized.etag ??= etagOf(serialized.body);
    if (serialized.etag) res.setHeader('ETag', serialized.etag);
  }
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.send(serialized.body);
}
