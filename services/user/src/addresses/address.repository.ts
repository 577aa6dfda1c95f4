import type { Database, Queryable } from '@foodflow/platform';
import { type FieldCipher, fieldContext } from '../security/field-cipher.js';

export interface Location {
  lat: number;
  lng: number;
}

export interface AddressFields {
  label: string;
  street: string;
  city: string;
  postalCode: string;
  location: Location;
}

export interface AddressRecord extends AddressFields {
  id: string;
  userId: string;
  isDefault: boolean;
  createdAt: Date;
}

/**
 * What an encrypted address field is bound to: its column and the user who owns the address, so a
 * value moved to another column or another user's address does not open.
 */
export const addressFieldContext = (column: string, userId: string): string =>
  fieldContext(`addresses.${column}`, userId);

interface AddressRow {
  id: string;
  user_id: string;
  label: string;
  street_encrypted: string;
  city: string;
  postal_code_encrypted: string;
  location_encrypted: string;
  is_default: boolean;
  created_at: Date;
}

const COLUMNS =
  'id, user_id, label, street_encrypted, city, postal_code_encrypted, location_encrypted, is_default, created_at';

/** Saved delivery addresses. Street, postal code and location are encrypted at rest. */
export class AddressRepository {
  constructor(
    private readonly db: Database,
    private readonly cipher: FieldCipher,
  ) {}

  async listByUser(userId: string): Promise<AddressRecord[]> {
    const { rows } = await this.db.query<AddressRow>(
      `SELECT ${COLUMNS} FROM addresses WHERE user_id = $1 ORDER BY is_default DESC, created_at, id`,
      [userId],
    );
    return rows.map((row) => this.toRecord(row));
  }

  async find(userId: string, id: string): Promise<AddressRecord | undefined> {
    const { rows } = await this.db.query<AddressRow>(
      `SELECT ${COLUMNS} FROM addresses WHERE id = $1 AND user_id = $2`,
      [id, userId],
    );
    return rows[0] && this.toRecord(rows[0]);
  }

  /** The address, if it is the user's, locked for the rest of the transaction. */
  async findOwnedForUpdate(q: Queryable, userId: string, id: string): Promise<AddressRecord | undefined> {
    const { rows } = await q.query<AddressRow>(
      `SELECT ${COLUMNS} FROM addresses WHERE id = $1 AND user_id = $2 FOR UPDATE`,
      [id, userId],
    );
    return rows[0] && this.toRecord(rows[0]);
  }

  /**
   * Locks the owning user's row for the rest of the transaction, so concurrent changes to one user's
   * addresses take turns and the single default cannot be lost between them. False if no such user.
   * NO KEY UPDATE, because a plain FOR UPDATE would also block every insert that references the user
   * (a login's new refresh-token family) until the address change commits.
   */
  async lockOwner(q: Queryable, userId: string): Promise<boolean> {
    const { rowCount } = await q.query('SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE', [userId]);
    return rowCount === 1;
  }

  async hasAny(q: Queryable, userId: string): Promise<boolean> {
    const { rowCount } = await q.query('SELECT 1 FROM addresses WHERE user_id = $1 LIMIT 1', [userId]);
    return rowCount === 1;
  }

  async clearDefault(q: Queryable, userId: string): Promise<void> {
    await q.query('UPDATE addresses SET is_default = false WHERE user_id = $1 AND is_default', [userId]);
  }

  async insert(q: Queryable, userId: string, fields: AddressFields, isDefault: boolean): Promise<AddressRecord> {
    const { rows } = await q.query<AddressRow>(
      `INSERT INTO addresses (user_id, label, street_encrypted, city, postal_code_encrypted, location_encrypted, is_default)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING ${COLUMNS}`,
      [
        userId,
        fields.label,
        this.cipher.encrypt(fields.street, addressFieldContext('street_encrypted', userId)),
        fields.city,
        this.cipher.encrypt(fields.postalCode, addressFieldContext('postal_code_encrypted', userId)),
        this.encryptLocation(fields.location, userId),
        isDefault,
      ],
    );
    return this.toRecord(rows[0] as AddressRow);
  }

  async update(
    q: Queryable,
    userId: string,
    id: string,
    patch: Partial<AddressFields> & { isDefault?: boolean },
  ): Promise<AddressRecord | undefined> {
    const { rows } = await q.query<AddressRow>(
      `UPDATE addresses SET
         label = COALESCE($3, label),
         street_encrypted = COALESCE($4, street_encrypted),
         city = COALESCE($5, city),
         postal_code_encrypted = COALESCE($6, postal_code_encrypted),
         location_encrypted = COALESCE($7, location_encrypted),
         is_default = COALESCE($8, is_default)
       WHERE id = $1 AND user_id = $2
       RETURNING ${COLUMNS}`,
      [
        id,
        userId,
        patch.label ?? null,
        patch.street === undefined
          ? null
          : this.cipher.encrypt(patch.street, addressFieldContext('street_encrypted', userId)),
        patch.city ?? null,
        patch.postalCode === undefined
          ? null
          : this.cipher.encrypt(patch.postalCode, addressFieldContext('postal_code_encrypted', userId)),
        patch.location === undefined ? null : this.encryptLocation(patch.location, userId),
        patch.isDefault ?? null,
      ],
    );
    return rows[0] && this.toRecord(rows[0]);
  }

  async delete(q: Queryable, userId: string, id: string): Promise<AddressRecord | undefined> {
    const { rows } = await q.query<AddressRow>(
      `DELETE FROM addresses WHERE id = $1 AND user_id = $2 RETURNING ${COLUMNS}`,
      [id, userId],
    );
    return rows[0] && this.toRecord(rows[0]);
  }

  /** Makes the user's most recently saved address the default (after the default one was deleted). */
  async promoteNewest(q: Queryable, userId: string): Promise<void> {
    await q.query(
      `UPDATE addresses SET is_default = true
       WHERE id = (SELECT id FROM addresses WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT 1)`,
      [userId],
    );
  }

  private encryptLocation(location: Location, userId: string): string {
    const json = JSON.stringify({ lat: location.lat, lng: location.lng });
    return this.cipher.encrypt(json, addressFieldContext('location_encrypted', userId));
  }

  private toRecord(row: AddressRow): AddressRecord {
    return {
      id: row.id,
      userId: row.user_id,
      label: row.label,
      street: this.cipher.decrypt(row.street_encrypted, addressFieldContext('street_encrypted', row.user_id)),
      city: row.city,
      postalCode: this.cipher.decrypt(
        row.postal_code_encrypted,
        addressFieldContext('postal_code_encrypted', row.user_id),
      ),
      location: JSON.parse(
        this.cipher.decrypt(row.location_encrypted, addressFieldContext('location_encrypted', row.user_id)),
      ) as Location,
      isDefault: row.is_default,
      createdAt: row.created_at,
    };
  }
}
