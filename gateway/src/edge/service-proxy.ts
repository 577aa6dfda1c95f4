import { Agent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';

export interface ProxyTarget {
  url: URL;
  /** Kong's `read_timeout`: how long the service may take to answer before the caller gets a 503. */
  timeoutMs: number;
}

export type ProxyFailure = (err: Error) => void;

/**
 * http-proxy-3 (the maintained rewrite of http-proxy) with pooled keep-alive connections to the services. The path is passed through as is
 * (Kong's `strip_path: false`) and `X-Forwarded-*` headers tell the service who called.
 */
export class ServiceProxy {
  // A pooled connection idle for a minute is closed here, before the service would close it (65 s): the
  // gateway never sends a request down a connection the service is closing. Node's agent honours the
  // service's `Keep-Alive: timeout=` hint only when it has a timeout of its own.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 512, timeout: 60_000 });
  private readonly proxy = createProxyServer({ xfwd: true, agent: this.agent });
  /** Requests sent on with a counted body, which may have to be abandoned midway: their outgoing request once known. */
  private readonly counted = new WeakMap<IncomingMessage, ClientRequest | undefined>();
  private readonly abandoned = new WeakSet<IncomingMessage>();

  constructor() {
    // Every request's failures go to its own callback; what is left is a client's upgraded socket failing
    // (a tab closed, a network lost: a TCP reset). Without a listener of ours the library throws it and
    // the process dies; the socket is already destroyed and the service's end is closed with it.
    this.proxy.on('error', () => undefined);
    this.proxy.on('proxyReq', (proxyReq, req) => {
      if (!this.counted.has(req)) return;
      if (this.abandoned.has(req)) proxyReq.destroy();
      else this.counted.set(req, proxyReq);
    });
  }

  /** Forwards a request; `body` replaces the raw request stream (a counted copy of it). */
  web(req: IncomingMessage, res: ServerResponse, target: ProxyTarget, failed: ProxyFailure, body?: Readable): void {
    if (body) this.counted.set(req, undefined);
    this.proxy.web(req, res, { target: target.url, proxyTimeout: target.timeoutMs, buffer: body }, failed);
  }

  /** Forwards a WebSocket upgrade; the socket then belongs to the service until either side closes it. */
  ws(req: IncomingMessage, socket: Duplex, head: Buffer, target: ProxyTarget, failed: ProxyFailure): void {
    // Upgraded connections are long-lived and never return to the pool, so they get their own socket.
    this.proxy.ws(req, socket, head, { target: target.url, agent: false }, (err) => failed(err));
  }

  /** Stops sending the request on to the service (its body was refused midway). */
  abandon(req: IncomingMessage): void {
    this.abandoned.add(req);
    this.counted.get(req)?.destroy();
  }

  close(): void {
    this.proxy.close();
    this.agent.destroy();
  }
}
