import Joi from 'joi';
import type { AddressFields } from './address.repository.js';

export type CreateAddressInput = AddressFields & { isDefault?: boolean };
export type UpdateAddressInput = Partial<CreateAddressInput>;

const fields = {
  label: Joi.string().trim().min(1).max(50),
  street: Joi.string().trim().min(1).max(200),
  city: Joi.string().trim().min(1).max(100),
  postalCode: Joi.string()
    .trim()
    .pattern(/^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$/)
    .message('must be a postal code such as 10001'),
  location: Joi.object({
    lat: Joi.number().min(-90).max(90).required(),
    lng: Joi.number().min(-180).max(180).required(),
  }),
  isDefault: Joi.boolean(),
};

export const createAddressBody = Joi.object<CreateAddressInput>({
  ...fields,
  label: fields.label.required(),
  street: fields.street.required(),
  city: fields.city.required(),
  postalCode: fields.postalCode.required(),
  location: fields.location.required(),
});

export const updateAddressBody = Joi.object<UpdateAddressInput>(fields);

export const addressIdParams = Joi.object({ id: Joi.string().guid().required() });

export const internalAddressParams = Joi.object({
  userId: Joi.string().guid().required(),
  addressId: Joi.string().guid().required(),
});
