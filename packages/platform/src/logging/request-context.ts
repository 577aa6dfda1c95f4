import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  requestId: string;
  userId?: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn(...args)` with `context` as the current one, for it and everything it starts. */
export const runWithContext = <A extends unknown[], T>(context: RequestContext, fn: (...args: A) => T, ...args: A): T =>
  storage.run(context, fn, ...args);

export const currentContext = (): RequestContext | undefined => storage.getStore();

export const currentRequestId = (): string | undefined => storage.getStore()?.requestId;
