import { errorStatus, type ErrorCode } from './error-codes.js';

export interface ErrorDetail {
  path: string;
  message: string;
}

/** An expected failure with a stable contract code; safe to show to the client as is. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  /** When trying again may succeed (rate limits, work in progress); the error handler makes it `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: ErrorDetail[]; retryAfterSeconds?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.retryAfterSeconds =
      options.retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(options.retryAfterSeconds));
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (what: string): AppError => new AppError('NOT_FOUND', `${what} not found`);
export const forbidden = (message = 'You are not allowed to do this'): AppError => new AppError('FORBIDDEN', message);
export const conflict = (message: string): AppError => new AppError('CONFLICT', message);

/** A database, cache, broker or peer service could not answer; the caller may retry. */
export const dependencyUnavailable = (dependency: string, cause?: unknown): AppError =>
  new AppError('DEPENDENCY_UNAVAILABLE', `${dependency} is unavailable, please retry`, { cause });
