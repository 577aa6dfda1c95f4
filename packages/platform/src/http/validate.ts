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
   * Remembers the validated query and path parameters of up to this many distinct requests (by query
   * string and by parameter values), so a repeated read (a public, cached page) skips validating them
   * again. Only for schemas whose result depends on that input alone (no defaults from the clock or the
   * caller). Remembered values are frozen, as they are shared between requests; invalid input is never
   * remembered, so it fails the same way each time. Bodies are always validated.
   */
  remember?: number;
}

const deepFreeze = <T>(value: T): T => {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
};

/** The query string of a request, from which its parsed `req.query` is derived. */
const rawQuery = (req: Request): string => {
  const start = req.url.indexOf('?');
  return start === -1 ? '' : req.url.slice(start + 1);
};

type Validator = (req: Request) => unknown;

/** `validate(req)` with the result kept under `keyOf(req)`, for at most `max` distinct keys. */
function remembering(validate: Validator, keyOf: (req: Request) => string, max: number | undefined): Validator {
  if (!max) return validate;
  const remembered = new Map<string, unknown>();
  return (req) => {
    const key = keyOf(req);
    let value = remembered.get(key);
    if (value === undefined) {
      value = deepFreeze(validate(req));
      // Oldest first out: input seen once (a new search) soon makes room, the hot ones come back at once.
      if (remembered.size >= max) remembered.delete(remembered.keys().next().value as string);
      remembered.set(key, value);
    }
    return value;
  };
}

/**
 * Validates and normalises body, query and path parameters. Unknown fields are rejected, never stored
 * (no mass assignment). Validated values replace the raw ones, so handlers only see clean input.
 */
export function validate(schemas: RequestSchemas, options: ValidateOptions = {}) {
  const { params, query, body } = schemas;
  const validParams =
    params &&
    remembering(
      (req) => validateValue(params, req.params),
      (req) => JSON.stringify(req.params),
      options.remember,
    );
  const validQuery = query && remembering((req) => validateValue(query, req.query), rawQuery, options.remember);
  return describeHandler(
    (req: Request, _res: Response, next: NextFunction): void => {
      if (validParams) req.params = validParams(req) as Request['params'];
      if (validQuery) {
        // Express 5 exposes `req.query` as a getter; shadow it with the validated value.
        Object.defineProperty(req, 'query', { value: validQuery(req), writable: true });
      }
      if (body) req.body = validateValue(body, req.body ?? {});
      next();
    },
    { schemas },
  );
}
