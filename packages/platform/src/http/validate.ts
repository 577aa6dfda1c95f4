import type { NextFunction, Request, Response } from 'express';
import type Joi from 'joi';
import { AppError } from '../errors/app-error.js';
import { describeHandler } from './openapi.js';

export interface RequestSchemas {
  body?: Joi.Schema;
  query?: Joi.Schema;
  params?: Joi.Schema;
}

const options: Joi.ValidationOptions = {
  abortEarly: false,
  allowUnknown: false,
  convert: true,
  errors: { wrap: { label: false } },
};

const toValidationError = (error: Joi.ValidationError): AppError => {
  const details = error.details.map((d) => ({
    path: d.path.join('.'),
    message: d.message.startsWith(`${d.context?.label ?? ''} `)
      ? d.message.slice((d.context?.label ?? '').length + 1)
      : d.message,
  }));
  return new AppError('VALIDATION_FAILED', error.details.map((d) => d.message).join('; '), { details });
};

/** Validates a value against a schema outside a request (socket payloads, event data). */
export function validateValue<T>(schema: Joi.Schema<T>, value: unknown): T {
  const result = schema.validate(value, options);
  if (result.error) throw toValidationError(result.error);
  return result.value;
}

export interface ValidateOptions {
  /**
   * Remembers the validated query of up to this many distinct query strings, so a repeated read (a
   * public, cached page) skips validating it again. Only for query schemas whose result depends on the
   * query string alone (no defaults from the clock or the caller). Remembered values are frozen, as they
   * are shared between requests; invalid queries are never remembered, so they fail the same way each time.
   */
  rememberQueries?: number;
}

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
};

/** The query string of a request, as its parsed `req.query` is derived from it. */
const rawQuery = (req: Request): string => {
  const start = req.url.indexOf('?');
  return start === -1 ? '' : req.url.slice(start + 1);
};

function queryValidator(schema: Joi.Schema, remember: number | undefined): (req: Request) => unknown {
  if (!remember) return (req) => validateValue(schema, req.query);
  const remembered = new Map<string, unknown>();
  return (req) => {
    const raw = rawQuery(req);
    let value = remembered.get(raw);
    if (value === undefined) {
      value = deepFreeze(validateValue(schema, req.query));
      // Oldest first out: a query asked once (a new search) soon makes room, the hot ones come back at once.
      if (remembered.size >= remember) remembered.delete(remembered.keys().next().value as string);
      remembered.set(raw, value);
    }
    return value;
  };
}

/**
 * Validates and normalises body, query and path parameters. Unknown fields are rejected, never stored
 * (no mass assignment). Validated values replace the raw ones, so handlers only see clean input.
 */
export function validate(schemas: RequestSchemas, options: ValidateOptions = {}) {
  const validQuery = schemas.query ? queryValidator(schemas.query, options.rememberQueries) : undefined;
  return describeHandler(
    (req: Request, _res: Response, next: NextFunction): void => {
      if (schemas.params) req.params = validateValue(schemas.params, req.params);
      if (validQuery) {
        // Express 5 exposes `req.query` as a getter; shadow it with the validated value.
        Object.defineProperty(req, 'query', { value: validQuery(req), writable: true });
      }
      if (schemas.body) req.body = validateValue(schemas.body, req.body ?? {});
      next();
    },
    { schemas },
  );
}
