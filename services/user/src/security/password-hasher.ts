import { randomBytes } from 'node:crypto';
import { dependencyUnavailable } from '@foodflow/platform';
import { Piscina } from 'piscina';
import type { PasswordTask } from './password.worker.js';

/**
 * Under vitest or tsx this module is TypeScript source, so the worker is too and needs tsx's loader;
 * in the compiled build the worker is plain JavaScript beside this file.
 */
const runningFromSource = import.meta.url.endsWith('.ts');
const workerFile = new URL(runningFromSource ? './password.worker.ts' : './password.worker.js', import.meta.url);

export interface PasswordHasherOptions {
  cost: number;
  threads: number;
  /** Tasks that may wait for a free thread; beyond that, callers are told to retry instead of piling up. */
  maxQueue: number;
}

/** Piscina's refusal when its queue is full (it has no error class or code to test for). */
const QUEUE_FULL = /^(Task queue is at limit|No task queue available)$/;

/** bcrypt hashing and comparison on a worker-thread pool, so a storm of logins never blocks other requests. */
export class PasswordHasher {
  private readonly pool: Piscina<PasswordTask, string | boolean>;
  private dummy: Promise<string> | undefined;

  constructor(private readonly options: PasswordHasherOptions) {
    this.pool = new Piscina({
      filename: workerFile.href,
      maxThreads: options.threads,
      minThreads: 1,
      maxQueue: options.maxQueue,
      idleTimeout: 60_000,
      ...(runningFromSource ? { execArgv: ['--import', 'tsx'] } : {}),
    });
  }

  /** Made once, with the configured cost, so the stand-in comparison takes as long as a real one. */
  private dummyHash(): Promise<string> {
    this.dummy ??= this.hash(randomBytes(16).toString('base64url')).catch((err: unknown) => {
      this.dummy = undefined;
      throw err;
    });
    return this.dummy;
  }

  async hash(password: string): Promise<string> {
    return (await this.run({ op: 'hash', password, cost: this.options.cost })) as string;
  }

  async verify(password: string, hash: string): Promise<boolean> {
    return (await this.run({ op: 'verify', password, hash })) as boolean;
  }

  /** A full queue is an overload, not a bug: 503, safe to retry once the storm has passed. */
  private async run(task: PasswordTask): Promise<string | boolean> {
    try {
      return await this.pool.run(task);
    } catch (err) {
      if (err instanceof Error && QUEUE_FULL.test(err.message)) throw dependencyUnavailable('Password checking', err);
      throw err;
    }
  }

  /**
   * Spends the same time as a real comparison and always fails: used when no account has the given
   * email, so response times do not reveal which emails are registered.
   */
  async verifyAgainstNothing(password: string): Promise<false> {
    await this.verify(password, await this.dummyHash());
    return false;
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
