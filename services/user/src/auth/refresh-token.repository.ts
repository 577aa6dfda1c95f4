import type { Database, Queryable } from '@foodflow/platform';

export interface SpentToken {
  userId: string;
  familyId: string;
}

/** Refresh tokens (only their SHA-256 hashes) and the families they rotate within. */
export class RefreshTokenRepository {
  constructor(private readonly db: Database) {}

  async createFamily(q: Queryable, userId: string): Promise<string> {
    const { rows } = await q.query<{ id: string }>(
      'INSERT INTO refresh_token_families (user_id) VALUES ($1) RETURNING id',
      [userId],
    );
    return (rows[0] as { id: string }).id;
  }

  /**
   * Stores a new token of the family, living `ttlS` from now, and tells whether it did: a family
   * revoked or purged since the caller last saw it takes no new token.
   */
  async insert(q: Queryable, familyId: string, tokenHash: Buffer, ttlS: number): Promise<boolean> {
    const { rowCount } = await q.query(
      `INSERT INTO refresh_tokens (family_id, token_hash, expires_at)
       SELECT f.id, $2, now() + make_interval(secs => $3)
       FROM refresh_token_families f WHERE f.id = $1 AND f.revoked_at IS NULL`,
      [familyId, tokenHash, ttlS],
    );
    return rowCount === 1;
  }

  /**
   * Marks a live token spent and returns its owner, in one conditional statement: of two concurrent
   * exchanges of the same token exactly one wins, the other finds it spent.
   */
  async spend(q: Queryable, tokenHash: Buffer): Promise<SpentToken | undefined> {
    const { rows } = await q.query<{ user_id: string; family_id: string }>(
      `UPDATE refresh_tokens t SET used_at = now()
       FROM refresh_token_families f
       WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > now()
         AND f.id = t.family_id AND f.revoked_at IS NULL
       RETURNING f.user_id, t.family_id`,
      [tokenHash],
    );
    return rows[0] && { userId: rows[0].user_id, familyId: rows[0].family_id };
  }

  /** The family of a token that was already exchanged, if the token is such a one. */
  async familyOfSpent(q: Queryable, tokenHash: Buffer): Promise<string | undefined> {
    const { rows } = await q.query<{ family_id: string }>(
      'SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL',
      [tokenHash],
    );
    return rows[0]?.family_id;
  }

  async revokeFamily(q: Queryable, familyId: string): Promise<void> {
    await q.query('UPDATE refresh_token_families SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [
      familyId,
    ]);
  }

  /** Revokes the family of the given token, but only if that family belongs to `userId`; returns its id. */
  async revokeFamilyOfToken(tokenHash: Buffer, userId: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ id: string }>(
      `UPDATE refresh_token_families f SET revoked_at = COALESCE(f.revoked_at, now())
       FROM refresh_tokens t
       WHERE t.token_hash = $1 AND f.id = t.family_id AND f.user_id = $2
       RETURNING f.id`,
      [tokenHash, userId],
    );
    return rows[0]?.id;
  }

  /**
   * Deletes what can never be exchanged again: the tokens of revoked families, expired tokens, and then the
   * families left without tokens (revoked ones among them). Spent but unexpired tokens stay, so their reuse
   * is still detected. Returns how many tokens went.
   *
   * Tokens before families, the order an exchange locks them in (it marks its token spent, then adds the
   * new one, whose foreign key locks the family): deleting a family first would lock it and then wait,
   * through the cascade, for the token an exchange holds, while that exchange, having read the family just
   * before a logout revoked it, waits for the family to add its new token: a deadlock, PostgreSQL ending one.
   */
  async purge(): Promise<number> {
    return this.db.transaction(async (q) => {
      const revoked = await q.query(
        `DELETE FROM refresh_tokens t USING refresh_token_families f
         WHERE f.id = t.family_id AND f.revoked_at IS NOT NULL`,
      );
      const expired = await q.query('DELETE FROM refresh_tokens WHERE expires_at <= now()');
      await q.query(
        `DELETE FROM refresh_token_families f
         WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.family_id = f.id)`,
      );
      return (revoked.rowCount ?? 0) + (expired.rowCount ?? 0);
    });
  }
}
