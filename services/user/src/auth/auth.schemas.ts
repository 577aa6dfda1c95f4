import type { Role } from '@foodflow/platform';
import Joi from 'joi';
import { firstName, lastName, phone } from '../users/user.schemas.js';

/** Roles anyone may sign up for; admins are created only by an operator (`npm run admin:create`). */
export const SELF_SERVICE_ROLES = ['customer', 'restaurant_owner', 'driver'] as const satisfies readonly Role[];

export interface RegisterInput {
  email: string;
  password: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: (typeof SELF_SERVICE_ROLES)[number];
}

export interface LoginInput {
  email: string;
  password: string;
}

// Local domains (e.g. the demo's foodflow.local) are real addresses here, so no TLD list check.
export const email = Joi.string()
  .trim()
  .lowercase()
  .max(254)
  .email({ tlds: { allow: false } });
const BCRYPT_MAX_BYTES = 72;
/**
 * bcrypt reads only the first 72 bytes, so two longer passwords sharing those bytes would both open the
 * account. Characters outside ASCII take several UTF-8 bytes, hence the byte bound beside the length bound.
 * Logins are bounded the same way: a longer password can never be the right one, and bcrypt would compare
 * only its first 72 bytes.
 */
const bcryptInput = Joi.string()
  .max(72)
  .custom((value: string, helpers) =>
    Buffer.byteLength(value, 'utf8') > BCRYPT_MAX_BYTES ? helpers.error('password.bytes') : value,
  )
  .messages({
    'password.bytes': `{{#label}} must be at most ${BCRYPT_MAX_BYTES} bytes in UTF-8 (accented letters and symbols count 2-4)`,
  });
export const password = bcryptInput.min(8);
const refreshToken = Joi.string().max(4096);

export const registerBody = Joi.object<RegisterInput>({
  email: email.required(),
  password: password.required(),
  firstName: firstName.required(),
  lastName: lastName.required(),
  phone: phone.allow(null).default(null),
  role: Joi.string()
    .valid(...SELF_SERVICE_ROLES)
    .default('customer'),
});

export const loginBody = Joi.object<LoginInput>({
  email: email.required(),
  password: bcryptInput.required(),
});

export const refreshBody = Joi.object<{ refreshToken: string }>({ refreshToken: refreshToken.required() });

export const logoutBody = Joi.object<{ refreshToken?: string }>({ refreshToken });
