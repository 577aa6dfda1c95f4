import type { QueryResult, QueryResultRow } from 'pg';

/**
 * Whatever runs one SQL statement: the `Database` (the statement is its own transaction) or a client
 * inside `db.transaction`, so a repository function serves both.
 */
export interface SqlClient {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}
