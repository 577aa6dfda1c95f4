import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logging/logger.js';

type Closer = () => Promise<unknown> | unknown;

/**
 * Ordered shutdown: the last thing started is the first thing closed, so the HTTP server stops
 * accepting and drains before the pools and channels it uses are closed beneath it.
 */
export class Lifecycle {
  private readonly closers: { name: string; close: Closer }[] = [];
  private stopping: Promise<void> | undefined;

  constructor(private readonly logger: Logger) {}

  onShutdown(name: string, close: Closer): void {
    this.closers.push({ name, close });
  }

  shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      for (const { name, close } of [...this.closers].reverse()) {
        try {
          await close();
        } catch (err) {
          this.logger.error(`Error while closing ${name}`, { err });
        }
      }
    })();
    return this.stopping;
  }

  /** SIGTERM and SIGINT start the shutdown; a second signal or the timeout forces the exit. */
  handleSignals(timeoutMs: number): void {
    const stop = (signal: NodeJS.Signals): void => {
      if (this.stopping) {
        process.exit(1);
      }
      this.logger.info(`Received ${signal}, shutting down`);
      const force = setTimeout(() => {
        this.logger.error(`Shutdown took longer than ${timeoutMs} ms, exiting`);
        process.exit(1);
      }, timeoutMs);
      force.unref();
      void this.shutdown().then(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  }
}

/** How long an idle keep-alive connection is kept open, announced to callers in `Keep-Alive: timeout=`. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Starts listening and returns a function that stops accepting, lets in-flight requests finish
 * (idle keep-alive connections are closed at once), and cuts the rest after `graceMs`.
 */
export async function listen(
  server: Server,
  port: number,
  host?: string,
): Promise<{ port: number; close: (graceMs?: number) => Promise<void> }> {
  // An idle connection must be closed by the caller (Nginx, the gateway's pool, a browser), never by us:
  // a request sent on a connection the server is closing at that moment is lost. Callers give up idle
  // connections within 60 s (Nginx's and Kong's upstream keep-alive), so this outlasts them.
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const close = (graceMs = 10_000): Promise<void> =>
    new Promise((resolve) => {
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      force.unref();
      // Keep-alive connections become idle as their last response ends; close each as soon as it does.
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      server.close(() => {
        clearTimeout(force);
        clearInterval(sweep);
        resolve();
      });
      server.closeIdleConnections();
    });
  return { port: (server.address() as AddressInfo).port, close };
}
