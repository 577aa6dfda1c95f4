import type { SqlClient } from '../sql-client.js';

/** How long a key's answer is kept and replayed (the contract promises 24 hours); older ones count as unused. */
export const IDEMPOTENCY_RETENTION_HOURS = 24;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyScope {
  userId: string;
  key: string;
  /** A hash of the request body: the same key with another body is a client error, not a retry. */
  requestHash: string;
}

/** A key's final answer: the response every retry of the request gets. */
export interface KeyAnswer extends IdempotencyScope {
  response: StoredResponse;
}

interface AnswerRow {
  request_hash: string;
  response_status: number;
  response_body: unknown;
}

/**
 * Stores a key's answer, as a statement of its own or as the first step of the statement that makes the
 * request's effect (which then writes the rest only from its row). It returns a row only if it stored the
 * answer: the key was unused, its answer had expired, or it had none (a claim of the earlier release, see
 * the migration `idempotency_answers_expand`). A key with a live answer is left as it is.
 * Parameters $1 to $6 are those of `answerValues`.
 */
export const INSERT_ANSWER = `
  INSERT INTO idempotency_keys AS k (user_id, key, request_hash, response_status, response_body)
  VALUES ($1::uuid, $2::text, $3::text, $4::smallint, $5::jsonb)
  ON CONFLICT (user_id, key) DO UPDATE
     SET request_hash = EXCLUDED.request_hash, response_status = EXCLUDED.response_status,
         response_body = EXCLUDED.response_body, created_at = now()
   WHERE k.created_at < now() - make_interval(hours => $6::integer) OR k.response_status IS NULL
  RETURNING 1`;

export const answerValues = (answer: KeyAnswer): unknown[] => [
  answer.userId,
  answer.key,
  answer.requestHash,
  answer.response.status,
  JSON.stringify(answer.response.body),
  IDEMPOTENCY_RETENTION_HOURS,
];

/** Stores a key's answer unless the key already has a live one; false when it had. */
export async function storeAnswer(client: SqlClient, answer: KeyAnswer): Promise<boolean> {
  const { rowCount } = await client.query({
    name: 'idempotency.store-answer',
    text: INSERT_ANSWER,
    values: answerValues(answer),
  });
  return rowCount === 1;
}

/**
 * The key's answer, unless it has none (no row, or only an earlier release's claim) or it is older than the
 * retention period (then it counts as unused).
 */
export async function findAnswer(
  client: SqlClient,
  scope: Pick<IdempotencyScope, 'userId' | 'key'>,
): Promise<{ requestHash: string; response: StoredResponse } | undefined> {
  const { rows } = await client.query<AnswerRow>({
    name: 'idempotency.find-answer',
    text: `SELECT request_hash, response_status, response_body FROM idempotency_keys
            WHERE user_id = $1 AND key = $2 AND created_at >= now() - make_interval(hours => $3)
              AND response_status IS NOT NULL`,
    values: [scope.userId, scope.key, IDEMPOTENCY_RETENTION_HOURS],
  });
  const row = rows[0];
  return row && { requestHash: row.request_hash, response: { status: row.response_status, body: row.response_body } };
}

export async function purgeExpiredKeys(client: SqlClient): Promise<number> {
  const { rowCount } = await client.query(
    'DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)',
    [IDEMPOTENCY_RETENTION_HOURS],
  );
  return rowCount ?? 0;
}
