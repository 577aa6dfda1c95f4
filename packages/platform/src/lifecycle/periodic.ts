import type { Logger } from '../logging/logger.js';

/**
 * Runs `job` every `intervalMs` (first run after one interval) until stopped. A run never overlaps
 * the previous one, and a failing run is logged and tried again at the next tick.
 */
export function every(
  name: string,
  intervalMs: number,
  job: () => Promise<unknown>,
  logger: Logger,
): { stop: () => Promise<void> } {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = job()
      .catch((err: unknown) => {
        logger.warn(`Periodic job ${name} failed`, { err });
      })
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
