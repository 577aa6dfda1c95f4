import { Agent as HttpAgent, type OutgoingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

interface Answer {
  status: number;
  /** The parsed JSON body, or undefined when there was none or it was not JSON. */
  payload: unknown;
}

/**
 * A small JSON client for another service's internal endpoints. A timeout, a refused connection, a 5xx
 * or the peer refusing this service (401, 403) becomes 503 `DEPENDENCY_UNAVAILABLE`; any other 4xx
 * carrying a contract code is raised as that same error.
 *
 * It speaks `node:http` over a pool of keep-alive connections: these calls sit on the path of every
 * checkout, and `fetch` cost several times as much CPU per call.
 */
export class InternalClient {
  private token: { value: string; renewAt: number } | undefined;
  private readonly base: URL;
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;

  constructor(private readonly options: InternalClientOptions) {
    this.base = new URL(options.baseUrl);
    const secure = this.base.protocol === 'https:';
    // An idle connection is dropped after a minute, before the peer would drop it (65 s): a call is never
    // sent down a connection the peer is closing at that moment.
    const agentOptions = { keepAlive: true, timeout: 60_000 };
    this.agent = secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.send = secure ? httpsRequest : httpRequest;
  }

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
    const { target } = this.options;
    let answer: Answer;
    try {
      answer = await this.exchange(method, path, body);
    } catch (err) {
      throw dependencyUnavailable(`The ${target}`, err);
    }
    const { status, payload } = answer;
    if (status >= 200 && status < 300) return payload as T;
    const error = (payload as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
    // 401 and 403 mean the peer refused this service, not the end user: a misconfiguration of ours that
    // the user can do nothing about, so it must not reach them as their own authentication failing.
    const refusedUs = status === 401 || status === 403;
    if (status < 500 && !refusedUs && isContractCode(error?.code)) {
      throw new AppError(error.code, String(error.message ?? error.code), {
        details: Array.isArray(error.details) ? error.details : undefined,
      });
    }
    throw dependencyUnavailable(`The ${target}`, new Error(`${method} ${path} answered ${status}`));
  }

  /** One request and its whole answer, within the timeout. */
  private exchange(method: string, path: string, body: unknown): Promise<Answer> {
    const { timeoutMs } = this.options;
    const content = body === undefined ? undefined : JSON.stringify(body);
    const headers: OutgoingHttpHeaders = { authorization: this.authorization(), accept: 'application/json' };
    const requestId = currentRequestId();
    if (requestId) headers['x-request-id'] = requestId;
    if (content !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(content);
    }
    return new Promise((resolve, reject) => {
      const req = this.send(new URL(path, this.base), { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', fail);
        res.once('end', () => {
          clearTimeout(timer);
          let payload: unknown;
          try {
            payload = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            payload = undefined;
          }
          resolve({ status: res.statusCode ?? 0, payload });
        });
      });
      const timer = setTimeout(() => req.destroy(new Error(`No answer within ${timeoutMs} ms`)), timeoutMs);
      function fail(err: Error): void {
        clearTimeout(timer);
        reject(err);
      }
      req.once('error', fail);
      req.end(content);
    });
  }
}
