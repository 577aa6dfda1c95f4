import pg from 'pg';
import { dependencyUnavailable } from '../errors/app-error.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;
export type { PoolClient, QueryConfig, QueryResultRow } from 'pg';

/**
 * A statement is either its text, or a `QueryConfig` with a `name`: a named statement is parsed and planned
 * once per connection and then only executed, which is worth it for the few statements run on every request.
 */
export type Statement = string | pg.QueryConfig;

export interface DatabaseOptions {
  url: string;
  /** A read replica; read-only queries (`db.read`) go there when it is set. */
  readUrl?: string | undefined;
  max?: number;
  logger: Logger;
  metrics?: Metrics;
  /** Shown in logs and as the `application_name` in pg_stat_activity. */
  applicationName: string;
}

// Count, bigint and numeric come back as JS numbers: every such value we store fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));

/** SQLSTATE classes and socket errors that mean "the database is not there", not "the query is wrong". */
const isUnavailable = (err: unknown): boolean => {
  const e = err as { code?: string; message?: string };
  if (typeof e?.code === 'string') {
    if (e.code.startsWith('08') || e.code === '57P01' || e.code === '57P02' || e.code === '57P03') return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN'].includes(e.code)) return true;
  }
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    e?.message ?? '',
  );
};

const translate = (err: unknown): unknown => (isUnavailable(err) ? dependencyUnavailable('The database', err) : err);

export class Database {
  readonly pool: pg.Pool;
  readonly readPool: pg.Pool;

  constructor(private readonly options: DatabaseOptions) {
    const common = {
      max: options.max ?? 10,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      application_name: options.applicationName,
    };
    this.pool = new pg.Pool({ connectionString: options.url, ...common });
    this.readPool = options.readUrl ? new pg.Pool({ connectionString: options.readUrl, ...common }) : this.pool;
    for (const pool of new Set([this.pool, this.readPool])) {
      // An idle client losing its connection must not crash the process; the pool replaces it.
      pool.on('error', (err) => options.logger.warn('PostgreSQL idle client error', { err }));
    }
    if (options.metrics) this.registerGauges(options.metrics);
  }

  /** A statement on the primary. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: Statement,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(statement, values);
    } catch (err) {
      throw translate(err);
    }
  }

  /** A read-only statement; served by the replica when one is configured. */
  async read<R extends pg.QueryResultRow = pg.QueryResultRow>(
    statement: Statement,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.readPool.query<R>(statement, values);
    } catch (err) {
      throw translate(err);
    }
  }

  /** Runs `fn` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translate(err);
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      broken = isUnavailable(err);
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw translate(err);
    } finally {
      client.release(broken);
    }
  }

  async check(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await Promise.all([...new Set([this.pool, this.readPool])].map((p) => p.end()));
  }

  private registerGauges(metrics: Metrics): void {
    const pools = [['primary', this.pool]] as [string, pg.Pool][];
    if (this.readPool !== this.pool) pools.push(['replica', this.readPool]);
    const gauge = (name: string, help: string, read: (p: pg.Pool) => number): void => {
      metrics.gauge({
        name,
        help,
        labelNames: ['pool'] as const,
        collect() {
          for (const [label, pool] of pools) this.set({ pool: label }, read(pool));
        },
      });
    };
    gauge('db_pool_connections_total', 'Connections open in the PostgreSQL pool', (p) => p.totalCount);
    gauge('db_pool_connections_idle', 'Idle connections in the PostgreSQL pool', (p) => p.idleCount);
    gauge('db_pool_requests_waiting', 'Queries waiting for a PostgreSQL connection', (p) => p.waitingCount);
    gauge('db_pool_connections_max', 'Maximum size of the PostgreSQL pool', () => this.options.max ?? 10);
  }
}
