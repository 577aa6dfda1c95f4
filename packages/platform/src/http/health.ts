import { type IRouter, Router } from 'express';

/** A named probe of one dependency; it resolves when the dependency answers and rejects when it does not. */
export interface HealthCheck {
  name: string;
  check: () => Promise<unknown>;
}

const withTimeout = async (promise: Promise<unknown>, ms: number): Promise<void> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * `/health/live`: the process runs (restart it if not). `/health/ready`: every dependency answers
 * (send it traffic only if so); each check is bounded so a hung dependency reads as down, not as a hang.
 * Added straight to `router` (an app or a router), so other requests pass them as two plain route checks.
 */
export function healthRoutes(router: IRouter, checks: HealthCheck[], timeoutMs = 1500): void {
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), timeoutMs);
          return [name, { status: 'up' }] as const;
        } catch (err) {
          return [name, { status: 'down', error: (err as Error).message }] as const;
        }
      }),
    );
    const ready = results.every(([, r]) => r.status === 'up');
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) });
  });
}

/** The health endpoints as a router of their own (see `healthRoutes`). */
export function healthRouter(checks: HealthCheck[], timeoutMs = 1500): Router {
  const router = Router();
  healthRoutes(router, checks, timeoutMs);
  return router;
}
