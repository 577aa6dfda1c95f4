import type { Database, Queryable, Role } from '@foodflow/platform';
import { randomUUID } from 'node:crypto';
import { type FieldCipher, fieldContext } from '../security/field-cipher.js';

export interface UserRecord {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: Role;
  createdAt: Date;
}

export interface UserWithPassword extends UserRecord {
  passwordHash: string;
}

export interface NewUser {
  email: string;
  passwordHash: string;
  firstName: string;
  lastName: string;
  phone: string | null;
  role: Role;
}

export interface UserPatch {
  firstName?: string;
  lastName?: string;
  phone?: string | null;
}

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  first_name: string;
  last_name: string;
  phone_encrypted: string | null;
  role: Role;
  created_at: Date;
}

const phoneContext = (userId: string): string => fieldContext('users.phone_encrypted', userId);

const COLUMNS = 'id, email, password_hash, first_name, last_name, phone_encrypted, role, created_at';

/** The `users` table. Phone numbers are encrypted on the way in and decrypted on the way out. */
export class UserRepository {
  constructor(
    private readonly db: Database,
    private readonly cipher: FieldCipher,
  ) {}

  /** Inserts the user, or returns undefined when the (lowercase) email is taken. */
  async insert(q: Queryable, user: NewUser): Promise<UserRecord | undefined> {
    // The id is chosen here because the phone's ciphertext is bound to it.
    const id = randomUUID();
    const { rows } = await q.query<UserRow>(
      `INSERT INTO users (id, email, password_hash, first_name, last_name, phone_encrypted, role)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (email) DO NOTHING
       RETURNING ${COLUMNS}`,
      [
        id,
        user.email,
        user.passwordHash,
        user.firstName,
        user.lastName,
        this.cipher.encryptOptional(user.phone, phoneContext(id)),
        user.role,
      ],
    );
    return rows[0] && this.toRecord(rows[0]);
  }

  async findByEmail(email: string): Promise<UserWithPassword | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE email = $1`, [email]);
    return rows[0] && { ...this.toRecord(rows[0]), passwordHash: rows[0].password_hash };
  }

  // Reads go to the primary: a profile read right after an update must not see a lagging replica.
  async findById(id: string): Promise<UserRecord | undefined> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] && this.toRecord(rows[0]);
  }

  async update(id: string, patch: UserPatch): Promise<UserRecord | undefined> {
    const { rows } = await this.db.query<UserRow>(
      `UPDATE users SET
         first_name = COALESCE($2, first_name),
         last_name = COALESCE($3, last_name),
         phone_encrypted = CASE WHEN $4 THEN $5 ELSE phone_encrypted END
       WHERE id = $1
       RETURNING ${COLUMNS}`,
      [
        id,
        patch.firstName ?? null,
        patch.lastName ?? null,
        patch.phone !== undefined,
        patch.phone === undefined ? null : this.cipher.encryptOptional(patch.phone, phoneContext(id)),
      ],
    );
    return rows[0] && this.toRecord(rows[0]);
  }

  /** Operator use: makes an existing account an admin, optionally with a new password. */
  async promoteToAdmin(email: string, passwordHash: string | undefined): Promise<UserRecord | undefined> {
    const { rows } = await this.db.query<UserRow>(
      `UPDATE users SET role = 'admin', password_hash = COALESCE($2, password_hash)
       WHERE email = $1
       RETURNING ${COLUMNS}`,
      [email, passwordHash ?? null],
    );
    return rows[0] && this.toRecord(rows[0]);
  }

  private toRecord(row: UserRow): UserRecord {
    return {
      id: row.id,
      email: row.email,
      firstName: row.first_name,
      lastName: row.last_name,
      phone: this.cipher.decryptOptional(row.phone_encrypted, phoneContext(row.id)),
      role: row.role,
      createdAt: row.created_at,
    };
  }
}
