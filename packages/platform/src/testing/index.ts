import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Express } from 'express';
import jwt from 'jsonwebtoken';
import { ACCESS_TOKEN_TYPE, JWT_ALGORITHM, type Role } from '../auth/tokens.js';
import { createHttpServer } from '../http/http-server.js';
import { listen } from '../lifecycle/lifecycle.js';

/**
 * Test helpers shared by every service's component tests. Tests run the real app against the real
 * PostgreSQL, Redis and RabbitMQ; these helpers only start it on a free port and make tokens.
 */

export interface RunningApp {
  baseUrl: string;
  server: Server;
  close: () => Promise<void>;
}

/** Listens on port 0 (a free port) on loopback; an app runs in the server the services run it in. */
export async function startHttp(app: Express | Server): Promise<RunningApp> {
  const server = 'listen' in app && !('handle' in app) ? (app as Server) : createHttpServer(app as Express);
  const { port, close } = await listen(server, 0, '127.0.0.1');
  return { baseUrl: `http://127.0.0.1:${port}`, server, close: () => close(1000) };
}

/** A fresh ES256 key pair, as PEM strings; each test run signs with its own. */
export function generateTestKeys(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export interface TestTokenOptions {
  privateKey: string;
  sub?: string;
  role?: Role;
  firstName?: string;
  issuer?: string;
  audience?: string;
  expiresInS?: number;
}

/**
 * An access token shaped exactly like the user service's, for services tested without it. The user
 * service's own tests use its real token issuer instead.
 */
export function signTestAccessToken(options: TestTokenOptions): string {
  return jwt.sign({ role: options.role ?? 'customer', firstName: options.firstName ?? 'Test' }, options.privateKey, {
    algorithm: JWT_ALGORITHM,
    subject: options.sub ?? randomUUID(),
    issuer: options.issuer ?? 'foodflow-user-service',
    audience: options.audience ?? 'foodflow',
    expiresIn: options.expiresInS ?? 900,
    jwtid: randomUUID(),
    header: { alg: JWT_ALGORITHM, typ: ACCESS_TOKEN_TYPE },
  });
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  throw new Error(`Condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A tiny JSON HTTP client for tests: never throws on 4xx/5xx, returns status, headers and parsed body. */
export async function http<T = any>(
  method: string,
  url: string,
  options: {
    body?: unknown;
    token?: string;
    headers?: Record<string, string>;
    rawBody?: string;
    /** Ends the request early (a timeout, a run being stopped): the promise then rejects. */
    signal?: AbortSignal;
  } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers['authorization'] = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(url, { method, headers, body, signal: options.signal });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (metrics, HTML): the raw text is the body.
  }
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/**
 * The value of one series in a Prometheus text exposition (what `GET /metrics` answers): the metric `name`
 * with at least the given labels, in any order; 0 when no such series exists yet.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const pairs = Object.entries(labels).map(([label, value]) => `${label}="${value}"`);
  const line = text.split('\n').find((candidate) => {
    if (candidate.startsWith(`${name} `)) return pairs.length === 0;
    if (!candidate.startsWith(`${name}{`)) return false;
    const set = `,${candidate.slice(name.length + 1, candidate.lastIndexOf('}'))},`;
    return pairs.every((pair) => set.includes(`,${pair},`));
  });
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
