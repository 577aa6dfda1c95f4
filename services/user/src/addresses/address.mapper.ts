import type { AddressRecord, Location } from './address.repository.js';

/** The contract's `address`. */
export interface AddressResponse {
  id: string;
  label: string;
  street: string;
  city: string;
  postalCode: string;
  location: Location;
  isDefault: boolean;
}

export const toAddressResponse = (address: AddressRecord): AddressResponse => ({
  id: address.id,
  label: address.label,
  street: address.street,
  city: address.city,
  postalCode: address.postalCode,
  location: address.location,
  isDefault: address.isDefault,
});
