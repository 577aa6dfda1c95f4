import { AppError, dependencyUnavailable } from '../errors/app-error.js';
import { errorStatus, type ErrorCode } from '../errors/error-codes.js';
import { currentRequestId } from '../logging/request-context.js';
import { signServiceToken } from './internal-auth.js';

export interface InternalClientOptions {
  /** Base URL of the called service, e.g. `http://127.0.0.1:3001`. */
  baseUrl: string;
  /** This service's name (the token's issuer). */
  caller: string;
  /** The called service's name (the token's audience). */
  target: string;
  secret: string;
  timeoutMs: number;
}

const isContractCode = (code: unknown): code is ErrorCode => typeof code === 'string' && code in errorStatus;

/**
 * A small JSON client for another service's internal endpoints. A timeout, a refused connection, a 5xx
 * or the peer refusing this service (401, 403) becomes 503 `DEPENDENCY_UNAVAILABLE`; any other 4xx
 * carrying a contract code is raised as that same error.
 */
export class InternalClient {
  private token: { value: string; renewAt: number } | undefined;

  constructor(private readonly options: InternalClientOptions) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  private authorization(): string {
    const now = Date.now();
    if (!this.token || now >= this.token.renewAt) {
      const { secret, caller, target } = this.options;
      this.token = { value: signServiceToken(secret, caller, target), renewAt: now + 30_000 };
    }
    return `Service ${this.token.value}`;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { baseUrl, target, timeoutMs } = this.options;
    let response: Response;
    try {
      response = await fetch(new URL(path, baseUrl), {
        method,
        headers: {
          authorization: this.authorization(),
          'x-request-id': currentRequestId() ?? '',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw dependencyUnavailable(`The ${target}`, err);
    }
    const payload: unknown = await response.json().catch(() => undefined);
    if (response.ok) return payload as T;
    const error = (payload as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
    // 401 and 403 mean the peer refused this service, not the end user: a misconfiguration of ours that
    // the user can do nothing about, so it must not reach them as their own authentication failing.
    const refusedUs = response.status === 401 || response.status === 403;
    if (response.status < 500 && !refusedUs && isContractCode(error?.code)) {
      throw new AppError(error.code, String(error.message ?? error.code), {
        details: Array.isArray(error.details) ? error.details : undefined,
      });
    }
    throw dependencyUnavailable(`The ${target}`, new Error(`${method} ${path} answered ${response.status}`));
  }
}
