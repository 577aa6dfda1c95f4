import { setTimeout as sleep } from 'node:timers/promises';
import { http, type JsonResponse } from '@foodflow/platform/testing';
import type { Client, RequestOptions } from './journey.js';

/** A request still unanswered after this long is a failure: the simulation moves on instead of hanging. */
const REQUEST_TIMEOUT_MS = 15_000;
/** How often a request refused with 429 is sent again after its `Retry-After`, before it counts as failed. */
const RATE_LIMIT_RETRIES = 3;
/** A longer `Retry-After` (the hourly window) is answered as it came: the run is over its limits. */
const MAX_RETRY_AFTER_S = 60;

/**
 * The simulator's way to the gateway: it counts every request, and a request the gateway's rate limit
 * refuses (429) waits the `Retry-After` it was given and is sent again, so a run against `npm start`'s
 * limits slows down instead of failing. Waiting ends early when the run stops.
 */
export class GatewayClient implements Client {
  requests = 0;
  throttled = 0;

  constructor(
    readonly baseUrl: string,
    private readonly signal: AbortSignal,
  ) {}

  async send<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<JsonResponse<T>> {
    for (let attempt = 0; ; attempt++) {
      this.requests += 1;
      const res = await http<T>(method, `${this.baseUrl}${path}`, {
        ...options,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (res.status !== 429 || attempt === RATE_LIMIT_RETRIES || this.signal.aborted) return res;
      const retryAfterS = Number(res.headers.get('retry-after') ?? 1) || 1;
      if (retryAfterS > MAX_RETRY_AFTER_S) return res;
      this.throttled += 1;
      await sleep(retryAfterS * 1000, undefined, { signal: this.signal }).catch(() => undefined);
    }
  }
}
