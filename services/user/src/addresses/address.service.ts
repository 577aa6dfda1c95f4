import { conflict, type Database, notFound, type Queryable } from '@foodflow/platform';
import { type AddressResponse, toAddressResponse } from './address.mapper.js';
import type { AddressRepository } from './address.repository.js';
import type { CreateAddressInput, UpdateAddressInput } from './address.schemas.js';

/**
 * A user's saved addresses. While a user has any, exactly one is the default: the first one saved
 * becomes it, choosing another moves it, and deleting it passes it to the newest remaining address.
 * Another user's address is reported as not found, never as forbidden, so ids reveal nothing.
 */
export class AddressService {
  constructor(
    private readonly db: Database,
    private readonly addresses: AddressRepository,
  ) {}

  async list(userId: string): Promise<{ data: AddressResponse[] }> {
    const addresses = await this.addresses.listByUser(userId);
    return { data: addresses.map(toAddressResponse) };
  }

  async get(userId: string, id: string): Promise<AddressResponse> {
    const address = await this.addresses.find(userId, id);
    if (!address) throw notFound('Address');
    return toAddressResponse(address);
  }

  async create(userId: string, input: CreateAddressInput): Promise<AddressResponse> {
    return this.forUser(userId, async (q) => {
      const { isDefault: wantsDefault, ...fields } = input;
      const isDefault = wantsDefault === true || !(await this.addresses.hasAny(q, userId));
      if (isDefault) await this.addresses.clearDefault(q, userId);
      return toAddressResponse(await this.addresses.insert(q, userId, fields, isDefault));
    });
  }

  async update(userId: string, id: string, patch: UpdateAddressInput): Promise<AddressResponse> {
    return this.forUser(userId, async (q) => {
      const current = await this.addresses.findOwnedForUpdate(q, userId, id);
      if (!current) throw notFound('Address');
      if (patch.isDefault === false && current.isDefault) {
        throw conflict('The default address stays the default until another address is made the default');
      }
      if (patch.isDefault === true && !current.isDefault) await this.addresses.clearDefault(q, userId);
      const updated = await this.addresses.update(q, userId, id, patch);
      if (!updated) throw notFound('Address');
      return toAddressResponse(updated);
    });
  }

  async remove(userId: string, id: string): Promise<void> {
    await this.forUser(userId, async (q) => {
      const deleted = await this.addresses.delete(q, userId, id);
      if (!deleted) throw notFound('Address');
      if (deleted.isDefault) await this.addresses.promoteNewest(q, userId);
    });
  }

  /** One transaction holding the user's lock, so changes to one user's addresses never interleave. */
  private forUser<T>(userId: string, work: (q: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (q) => {
      if (!(await this.addresses.lockOwner(q, userId))) throw notFound('User');
      return work(q);
    });
  }
}
