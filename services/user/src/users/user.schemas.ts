import Joi from 'joi';
import type { UserPatch } from './user.repository.js';

export const firstName = Joi.string().trim().min(1).max(100);
export const lastName = Joi.string().trim().min(1).max(100);
/** International format with optional separators, e.g. "+1 212-555-0100". */
export const phone = Joi.string()
  .trim()
  .pattern(/^\+?[0-9][0-9 ().-]{5,24}$/)
  .message('must be a phone number such as +1 212-555-0100');

export const updateProfileBody = Joi.object<UserPatch>({
  firstName,
  lastName,
  phone: phone.allow(null),
});
