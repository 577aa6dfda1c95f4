import type { Request, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Helmet's security headers, worked out once and set in one go on every response. Helmet stays the
 * source of truth: its middleware runs once against a recording response and what it set (and removed)
 * is replayed per request, so its per-request work (one middleware per header, the policy string built
 * each time) is not. Only for options without per-request parts, such as a policy nonce computed from
 * the request; the defaults have none.
 */
export function securityHeaders(options?: Readonly<HelmetOptions>): (res: Response) => void {
  const headers = new Map<string, string | string[]>();
  const removed: string[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name, typeof value === 'number' ? String(value) : (value as string | string[]));
      return recorder;
    },
    removeHeader(name: string) {
      headers.delete(name);
      removed.push(name);
    },
  };
  let done = false;
  helmet(options)({} as Request, recorder as unknown as Response, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  if (!done) throw new Error('helmet did not finish synchronously; its headers cannot be worked out once');

  return (res: Response): void => {
    for (const name of removed) if (res.hasHeader(name)) res.removeHeader(name);
    res.setHeaders(headers);
  };
}
