let shutdown: (() => Promise<void>) | undefined;

/** Called by the tracing start with what exports the spans still buffered. */
export const setTracingShutdown = (flush: () => Promise<void>): void => {
  shutdown = flush;
};

/** Exports the spans still buffered and stops tracing; nothing to do when tracing is off. */
export const shutdownTracing = async (): Promise<void> => {
  await shutdown?.();
};
