import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createLogger, Lifecycle, listen } from '@foodflow/platform';

const logger = createLogger({ service: 'platform-test', silent: true });

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
