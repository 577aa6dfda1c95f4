import { Agent, request } from 'node:http';
import type { RawRequest } from './malformed-requests.js';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/** A few kept-alive connections, so thousands of requests do not each open one. */
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/**
 * Sends a request exactly as given (path, headers and body bytes untouched), which `fetch` would not: it
 * refuses a body on GET and rewrites paths.
 */
export function send(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
