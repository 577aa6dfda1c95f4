import { Agent, createServer, get, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createLogger, KEEP_ALIVE_TIMEOUT_MS, Lifecycle, listen } from '@foodflow/platform';

const logger = createLogger({ service: 'platform-test', silent: true });

describe('keep-alive', () => {
  it('when a connection sits idle longer than the 5 s Node defaults to, then it is still open for the next request', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const { port, close } = await listen(server, 0, '127.0.0.1');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const request = () =>
      new Promise<{ res: IncomingMessage; reused: boolean }>((resolve, reject) => {
        const req = get({ host: '127.0.0.1', port, agent }, (res) => {
          res.resume();
          res.once('end', () => resolve({ res, reused: req.reusedSocket }));
        });
        req.once('error', reject);
      });
    try {
      const first = await request();
      expect(first.res.headers['keep-alive']).toBe(`timeout=${KEEP_ALIVE_TIMEOUT_MS / 1000}`);
      await new Promise((resolve) => setTimeout(resolve, 5500));
      const second = await request();
      expect(second.reused).toBe(true);
      expect(second.res.statusCode).toBe(200);
    } finally {
      agent.destroy();
      await close(100);
    }
  }, 15_000);
});

describe('graceful shutdown', () => {
  it('when closing, then new connections are refused but the request in flight completes', async () => {
    const server = createServer((_req, res) => {
      setTimeout(() => res.end('done'), 300);
    });
    const { port, close } = await listen(server, 0, '127.0.0.1');
    const inFlight = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = close(5000);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    expect(await inFlight).toBe('done');
    await closed;
  });

  it('when shutting down, then resources close in reverse order of opening, once, despite failures', async () => {
    const lifecycle = new Lifecycle(logger);
    const order: string[] = [];
    lifecycle.onShutdown('database', () => void order.push('database'));
    lifecycle.onShutdown('broker', () => {
      order.push('broker');
      throw new Error('already closed');
    });
    lifecycle.onShutdown('http', async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push('http');
    });
    await Promise.all([lifecycle.shutdown(), lifecycle.shutdown()]);
    expect(order).toEqual(['http', 'broker', 'database']);
  });
});
