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

/**
 * Validates and normalises body, query and path parameters. Unknown fields are rejected, never stored
 * (no mass assignment). Validated values replace the raw ones, so handlers only see clean input.
 */
export function validate(schemas: RequestSchemas) {
  return describeHandler(
    (req: Request, _res: Response, next: NextFunction): void => {
      if (schemas.params) req.params = validateValue(schemas.params, req.params);
      if (schemas.query) {
        // Express 5 exposes `req.query` as a getter; shadow it with the validated value.
        Object.defineProperty(req, 'query', { value: validateValue(schemas.query, req.query), writable: true });
      }
      if (schemas.body) req.body = validateValue(schemas.body, req.body ?? {});
      next();
    },
    { schemas },
  );
}
