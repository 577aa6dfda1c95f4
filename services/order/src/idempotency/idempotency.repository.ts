import type { SqlClient } from '../sql-client.js';

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

/** A claim's final answer, for the work to store in the very statement that makes its effect. */
export interface ClaimAnswer {
  userId: string;
  key: string;
  claimToken: string;
  response: StoredResponse;
}

export type IdempotencyRecord =
  { state: 'in_progress'; requestHash: string } | { state: 'completed'; requestHash: string; response: StoredResponse };

interface RecordRow {
  request_hash: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: unknown;
}

/**
 * Claims the key for this request. A key is free when unused, older than the retention period, or held
 * by a request that stopped answering long ago (its process died): its transaction never committed, so
 * nothing of it exists. Returns the new claim's token, or undefined when someone else holds the key.
 */
export async function claimKey(
  client: SqlClient,
  scope: IdempotencyScope,
  limits: { retentionHours: number; abandonedAfterSeconds: number },
): Promise<string | undefined> {
  const { rows } = await client.query<{ claim_token: string }>({
    name: 'idempotency.claim',
    text: `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
           ON CONFLICT (user_id, key) DO UPDATE
              SET request_hash = EXCLUDED.request_hash, claim_token = gen_random_uuid(), state = 'in_progress',
                  response_status = NULL, response_body = NULL, created_at = now()
            WHERE idempotency_keys.created_at < now() - make_interval(hours => $4)
               OR (idempotency_keys.state = 'in_progress'
                   AND idempotency_keys.updated_at < now() - make_interval(secs => $5))
           RETURNING claim_token`,
    values: [scope.userId, scope.key, scope.requestHash, limits.retentionHours, limits.abandonedAfterSeconds],
  });
  return rows[0]?.claim_token;
}

export async function findKey(
  client: SqlClient,
  scope: Pick<IdempotencyScope, 'userId' | 'key'>,
): Promise<IdempotencyRecord | undefined> {
  const { rows } = await client.query<RecordRow>(
    `SELECT request_hash, state, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
    [scope.userId, scope.key],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.state === 'in_progress') return { state: 'in_progress', requestHash: row.request_hash };
  return {
    state: 'completed',
    requestHash: row.request_hash,
    response: { status: row.response_status ?? 500, body: row.response_body },
  };
}

/** Stores the final response; false if the claim is no longer this request's. */
export async function completeKey(
  client: SqlClient,
  scope: Pick<IdempotencyScope, 'userId' | 'key'>,
  claimToken: string,
  response: StoredResponse,
): Promise<boolean> {
  const { rowCount } = await client.query(
    `UPDATE idempotency_keys SET state = 'completed', response_status = $4, response_body = $5
      WHERE user_id = $1 AND key = $2 AND claim_token = $3 AND state = 'in_progress'`,
    [scope.userId, scope.key, claimToken, response.status, JSON.stringify(response.body)],
  );
  return rowCount === 1;
}

/** Frees the key after a failure that left nothing behind, so the client's retry runs afresh. */
export async function releaseKey(
  client: SqlClient,
  scope: Pick<IdempotencyScope, 'userId' | 'key'>,
  claimToken: string,
): Promise<void> {
  await client.query(
    `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND claim_token = $3 AND state = 'in_progress'`,
    [scope.userId, scope.key, claimToken],
  );
}

export async function purgeExpiredKeys(client: SqlClient, retentionHours: number): Promise<number> {
  const { rowCount } = await client.query(
    'DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)',
    [retentionHours],
  );
  return rowCount ?? 0;
}
