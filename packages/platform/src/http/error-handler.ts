import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors/app-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import type { Logger } from '../logging/logger.js';
import { currentRequestId } from '../logging/request-context.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string }[]; requestId?: string };
}

export const errorBody = (code: ErrorCode, message: string, details?: AppError['details']): ErrorBody => ({
  error: { code, message, ...(details ? { details } : {}), requestId: currentRequestId() },
});

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
}

/** Errors raised by Express itself or body-parser before any of our code runs. */
function fromFramework(err: HttpishError): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON', 'The request body is not valid JSON');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than 1 MiB');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'The request body encoding is not supported');
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError('VALIDATION_FAILED', 'The request body was incomplete');
    default: {
      // Anything else the framework rejects as the client's fault, such as a path whose percent-encoding
      // does not decode: a 400, never a 500.
      const status = err.status ?? err.statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        return new AppError('VALIDATION_FAILED', 'The request is malformed');
      }
      return undefined;
    }
  }
}

/**
 * The one place errors become responses: contract errors keep their code, anything unexpected becomes
 * a 500 that carries only the request id. The stack goes to the log, never to the client.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const known = err instanceof AppError ? err : fromFramework(err as HttpishError);
    if (known) {
      if (known.status >= 500) logger.warn(known.message, { err: known.cause ?? known });
      if (known.retryAfterSeconds !== undefined) res.set('Retry-After', String(known.retryAfterSeconds));
      res.status(known.status).json(errorBody(known.code, known.message, known.details));
      return;
    }
    logger.error(`Unhandled error on ${req.method} ${req.originalUrl}`, { err });
    res.status(500).json(errorBody('INTERNAL_ERROR', 'Something went wrong; quote the request id if you report it'));
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};
