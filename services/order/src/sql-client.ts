import type { QueryConfig, QueryResult, QueryResultRow } from 'pg';

/**
 * Whatever runs one SQL statement: the `Database` (the statement is its own transaction) or a client
 * inside `db.transaction`, so a repository function serves both. A statement run on every checkout is
 * given as a named `QueryConfig`, so each connection parses and plans it only once.
 */
export interface SqlClient {
  query<R extends QueryResultRow = QueryResultRow>(
    statement: string | QueryConfig,
    values?: unknown[],
  ): Promise<QueryResult<R>>;
}
