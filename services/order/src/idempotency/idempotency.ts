import { createHash } from 'node:crypto';
import type { Request } from 'express';
import Joi from 'joi';
import { AppError, type Database, errorBody, type Logger, validateValue } from '@foodflow/platform';
import {
  type ClaimAnswer,
  claimKey,
  completeKey,
  findKey,
  type IdempotencyScope,
  releaseKey,
  type StoredResponse,
} from './idempotency.repository.js';

/** How long a key and its response are kept (the contract promises 24 hours). */
export const IDEMPOTENCY_RETENTION_HOURS = 24;
/** A claim this old without an answer belongs to a request whose process died; far above any checkout's duration. */
const ABANDONED_AFTER_SECONDS = 60;

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
 * Handed to the work: a unique id for this attempt, and the answer its result makes, which the work stores
 * in the statement that makes its effect. If that statement finds the claim no longer this attempt's, it
 * must write nothing and throw `claimLost()`.
 */
export interface IdempotentAttempt<T> {
  attemptId: string;
  answer(result: T): ClaimAnswer;
}

/** What the work throws when another request has taken the key over in the meantime. */
export const claimLost = (): AppError =>
  new AppError('IDEMPOTENCY_IN_PROGRESS', 'Another request has taken over this Idempotency-Key');

/**
 * Runs a request at most once per (user, key). The key is claimed in its own statement before the work
 * starts, and the response is stored by the work in the statement that makes its effect, so the effect
 * and "this key is done" commit together. A replay returns the stored status and body. Contract
 * errors (4xx) are final answers and are stored too; a 5xx means nothing was done, so the key is freed
 * and the client's retry runs again.
 */
export class IdempotencyGuard<T> {
  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly present: (result: T) => StoredResponse,
  ) {}

  async run(scope: IdempotencyScope, work: (attempt: IdempotentAttempt<T>) => Promise<T>): Promise<StoredResponse> {
    const claimToken = await this.claim(scope);
    if (typeof claimToken !== 'string') return claimToken;
    const attempt: IdempotentAttempt<T> = {
      attemptId: claimToken,
      answer: (result) => ({ userId: scope.userId, key: scope.key, claimToken, response: this.present(result) }),
    };
    try {
      return this.present(await work(attempt));
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        const response = { status: err.status, body: errorBody(err.code, err.message, err.details) };
        await completeKey(this.db, scope, claimToken, response);
        return response;
      }
      await releaseKey(this.db, scope, claimToken).catch((releaseError: unknown) => {
        this.logger.warn('Could not free an idempotency key; it frees itself once abandoned', { err: releaseError });
      });
      throw err;
    }
  }

  /** The claim's token, or the stored response to replay; throws while another request holds the key. */
  private async claim(scope: IdempotencyScope): Promise<string | StoredResponse> {
    const limits = { retentionHours: IDEMPOTENCY_RETENTION_HOURS, abandonedAfterSeconds: ABANDONED_AFTER_SECONDS };
    // A key freed between our claim and our read is simply claimed again on the next turn.
    for (;;) {
      const token = await claimKey(this.db, scope, limits);
      if (token) return token;
      const record = await findKey(this.db, scope);
      if (!record) continue;
      if (record.requestHash !== scope.requestHash) {
        throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with a different request body');
      }
      if (record.state === 'in_progress') {
        throw new AppError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running', {
          retryAfterSeconds: 1,
        });
      }
      return record.response;
    }
  }
}
