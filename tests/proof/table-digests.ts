import type pg from 'pg';

/** The services' schemas: every row any of them writes is in one of these. */
const SCHEMAS = ['users', 'restaurants', 'orders', 'deliveries'];

/**
 * Each table of every service schema, as its row count and a digest of all its rows: any insert, update
 * or delete shows, not only the ones that move a count or an `updated_at`.
 */
async function tableDigests(db: pg.Pool): Promise<Record<string, string>> {
  const { rows: tables } = await db.query<{ name: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
     WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1`,
    [SCHEMAS],
  );
  const digests = await Promise.all(
    tables.map(async ({ name }) => {
      const { rows } = await db.query<{ count: number; digest: string }>(
        `SELECT count(*)::int AS count, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest
         FROM ${name} t`,
      );
      return [name, `${rows[0]?.count} rows, ${rows[0]?.digest}`] as const;
    }),
  );
  return Object.fromEntries(digests);
}

/**
 * The digests once nothing moves any more: what a fixture set off in the background (an outbox row being
 * published, an event being consumed) has finished when two readings a moment apart agree.
 */
export async function settledDigests(db: pg.Pool, timeoutMs = 15_000): Promise<Record<string, string>> {
  const deadline = Date.now() + timeoutMs;
  let last = await tableDigests(db);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const next = await tableDigests(db);
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  throw new Error('The services kept writing rows; no quiet moment to compare against');
}
