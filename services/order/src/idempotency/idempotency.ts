import { createHash } from 'node:crypto';
import type { Request } from 'express';
import Joi from 'joi';
import { AppError, type Database, errorBody, type Logger, validateValue } from '@foodflow/platform';
import type { IdempotencyLeases } from './idempotency-lease.js';
import {
  findAnswer,
  type IdempotencyScope,
  type KeyAnswer,
  storeAnswer,
  type StoredResponse,
} from './idempotency.repository.js';

const headerSchema = Joi.object({
  'idempotency-key': Joi.string()
    .max(255)
    .pattern(/^[\x21-\x7e]+$/)
    .required()
    .messages({ 'string.pattern.base': 'must be printable ASCII without spaces' }),
}).unknown(true);

/** The request's `Idempotency-Key` header: required, 1 to 255 printable characters. */
export const idempotencyKeyOf = (req: Request): string =>
  validateValue<Record<string, string>>(headerSchema, req.headers)['idempotency-key'] as string;

/** A stable hash of the parts of a request that make it "the same request". */
export const fingerprint = (parts: unknown[]): string =>
  createHash('sha256').update(JSON.stringify(parts)).digest('base64url');

/**
 * Handed to the work: a unique id for this attempt, and the key's answer its result makes, which the work
 * stores first in the statement that makes its effect. If that statement finds the key already answered,
 * it must write nothing and throw `KeyAnsweredMeanwhile`.
 */
export interface IdempotentAttempt<T> {
  attemptId: string;
  answer(result: T): KeyAnswer;
}

/**
 * What the work throws when its key was answered by another request while it ran (its lease had lapsed):
 * it has written nothing, and that answer is the one to give.
 */
export class KeyAnsweredMeanwhile extends Error {
  constructor() {
    super('The Idempotency-Key was answered by another request meanwhile');
  }
}

const keyReused = (): AppError =>
  new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');

/**
 * Runs a request at most once per (user, key). While it runs without an answer, a lease in Redis turns
 * retries away (409, or 422 for another body). Its answer is stored in PostgreSQL by the work, in the statement that makes its
 * effect, so the effect and the answer commit together; a lapsed lease therefore never lets a second
 * request write a second effect. A retry gets the stored status and body again. Contract errors (4xx) are
 * final answers and are stored too; a 5xx means nothing was done, so nothing is stored and a retry runs again.
 */
export class IdempotencyGuard<T> {
  constructor(
    private readonly db: Database,
    private readonly leases: IdempotencyLeases,
    private readonly logger: Logger,
    private readonly present: (result: T) => StoredResponse,
  ) {}

  async run(scope: IdempotencyScope, work: (attempt: IdempotentAttempt<T>) => Promise<T>): Promise<StoredResponse> {
    const lease = await this.leases.take(scope);
    if (!lease.taken) return this.answerWhileLeased(scope, lease.holderRequestHash);
    try {
      const stored = await findAnswer(this.db, scope);
      if (stored) return replay(scope, stored);
      return await this.attempt(scope, lease.token, work);
    } finally {
      await this.leases.release(scope, lease.token).catch((err: unknown) => {
        this.logger.warn('Could not end an Idempotency-Key lease; it lapses on its own', { err });
      });
    }
  }

  private async attempt(
    scope: IdempotencyScope,
    attemptId: string,
    work: (attempt: IdempotentAttempt<T>) => Promise<T>,
  ): Promise<StoredResponse> {
    try {
      return this.present(
        await work({ attemptId, answer: (result) => ({ ...scope, response: this.present(result) }) }),
      );
    } catch (err) {
      if (err instanceof KeyAnsweredMeanwhile) return this.storedAnswer(scope);
      if (!(err instanceof AppError) || err.status >= 500) throw err;
      const response = { status: err.status, body: errorBody(err.code, err.message, err.details) };
      return (await storeAnswer(this.db, { ...scope, response })) ? response : this.storedAnswer(scope);
    }
  }

  /**
   * Another request holds the key's lease. It may have answered already and not yet let go (or never, if
   * ending its lease failed): a stored answer is replayed, so only a request still running turns retries away.
   */
  private async answerWhileLeased(scope: IdempotencyScope, holderRequestHash: string): Promise<StoredResponse> {
    const stored = await findAnswer(this.db, scope);
    if (stored) return replay(scope, stored);
    if (holderRequestHash !== scope.requestHash) throw keyReused();
    throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running', {
      retryAfterSeconds: 1,
    });
  }

  /** The answer another request stored for the key while this one ran. */
  private async storedAnswer(scope: IdempotencyScope): Promise<StoredResponse> {
    const stored = await findAnswer(this.db, scope);
    if (!stored) throw new Error('An Idempotency-Key answered meanwhile has no answer stored');
    return replay(scope, stored);
  }
}

function replay(scope: IdempotencyScope, stored: { requestHash: string; response: StoredResponse }): StoredResponse {
  if (stored.requestHash !== scope.requestHash) throw keyReused();
  return stored.response;
}
