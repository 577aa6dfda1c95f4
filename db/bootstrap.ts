import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

/**
 * Creates everything the services need in PostgreSQL, idempotently: the `foodflow` owner role and its
 * database, one schema and one login role per service (each role may use only its own schema), the
 * contrib extensions, and every pending migration. Safe to run on every start, and by several
 * processes at once (an advisory lock serialises them).
 */

export interface ServiceSchema {
  schema: string;
  role: string;
}

export const SERVICE_SCHEMAS: ServiceSchema[] = [
  { schema: 'users', role: 'users_service' },
  { schema: 'restaurants', role: 'restaurants_service' },
  { schema: 'orders', role: 'orders_service' },
  { schema: 'deliveries', role: 'deliveries_service' },
];

export const OWNER_ROLE = 'foodflow';
const EXTENSIONS = ['pg_trgm', 'cube', 'earthdistance'];
const LOCK_KEY = 7_200_417;

export interface BootstrapOptions {
  /** A superuser connection, e.g. `postgres://postgres@127.0.0.1:5432/postgres`. */
  adminUrl: string;
  database: string;
  /** Passwords by role name; a new role missing here gets its own name (refused in production). */
  passwords?: Record<string, string>;
  production?: boolean;
  log?: (message: string) => void;
}

/** The environment variable that carries a role's password, e.g. `DB_PASSWORD_ORDERS_SERVICE`. */
export const passwordVariable = (role: string): string => `DB_PASSWORD_${role.toUpperCase()}`;

const migrationsDir = (schema: string): string => fileURLToPath(new URL(`./migrations/${schema}`, import.meta.url));
const ident = (name: string): string => pg.escapeIdentifier(name);
const literal = (value: string): string => pg.escapeLiteral(value);

function withDatabase(url: string, database: string, user?: string, password?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user;
    u.password = password ?? '';
  }
  return u.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'foodflow-bootstrap' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a login role, or updates its password only when one was given explicitly: a password an
 * operator rotated by hand is never put back to the development default.
 */
async function ensureRole(client: pg.Client, role: string, password: string | undefined): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  if (!rowCount) {
    await client.query(`CREATE ROLE ${ident(role)} LOGIN PASSWORD ${literal(password ?? role)}`);
  } else if (password !== undefined) {
    await client.query(`ALTER ROLE ${ident(role)} LOGIN PASSWORD ${literal(password)}`);
  }
}

export async function bootstrapDatabase(options: BootstrapOptions): Promise<void> {
  const log = options.log ?? (() => undefined);
  const roles = [OWNER_ROLE, ...SERVICE_SCHEMAS.map((s) => s.role)];
  const missing = roles.filter((role) => !options.passwords?.[role]);
  if (options.production && missing.length > 0) {
    throw new Error(`In production every role needs a password; missing: ${missing.map(passwordVariable).join(', ')}`);
  }
  const { database } = options;

  await withClient(options.adminUrl, async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    try {
      for (const role of roles) await ensureRole(admin, role, options.passwords?.[role]);
      for (const { schema, role } of SERVICE_SCHEMAS) {
        await admin.query(`ALTER ROLE ${ident(role)} SET search_path = ${ident(schema)}, public`);
      }
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (!exists.rowCount) {
        log(`Creating database ${database}`);
        await admin.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(OWNER_ROLE)}`);
      }
      await withClient(withDatabase(options.adminUrl, database), (db) => prepareDatabase(db, database));
      for (const { schema, role } of SERVICE_SCHEMAS) {
        await migrate(options, schema, log);
        await withClient(withDatabase(options.adminUrl, database), (db) => grantExisting(db, schema, role));
      }
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
    }
  });
}

/** Extensions (superuser only), and the walls between schemas. */
async function prepareDatabase(db: pg.Client, database: string): Promise<void> {
  for (const extension of EXTENSIONS)
    await db.query(`CREATE EXTENSION IF NOT EXISTS ${ident(extension)} SCHEMA public`);
  await db.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
  await db.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
  for (const { schema, role } of SERVICE_SCHEMAS) {
    await db.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(database)} TO ${ident(role)}`);
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)} AUTHORIZATION ${ident(OWNER_ROLE)}`);
    await db.query(`REVOKE ALL ON SCHEMA ${ident(schema)} FROM PUBLIC`);
    await db.query(`GRANT USAGE ON SCHEMA ${ident(schema)} TO ${ident(role)}`);
    const defaults = `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(OWNER_ROLE)} IN SCHEMA ${ident(schema)}`;
    await db.query(`${defaults} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${ident(role)}`);
    await db.query(`${defaults} GRANT USAGE, SELECT ON SEQUENCES TO ${ident(role)}`);
    await db.query(`${defaults} GRANT EXECUTE ON FUNCTIONS TO ${ident(role)}`);
  }
}

/** Tables created before the default privileges existed (or by hand) get the same grants. */
async function grantExisting(db: pg.Client, schema: string, role: string): Promise<void> {
  await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${ident(schema)} TO ${ident(role)}`);
  await db.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${ident(schema)} TO ${ident(role)}`);
  await db.query(`REVOKE ALL ON TABLE ${ident(schema)}.pgmigrations FROM ${ident(role)}`).catch(() => undefined);
}

async function migrate(options: BootstrapOptions, schema: string, log: (message: string) => void): Promise<void> {
  const ownerUrl = withDatabase(
    options.adminUrl,
    options.database,
    OWNER_ROLE,
    options.passwords?.[OWNER_ROLE] ?? OWNER_ROLE,
  );
  const applied = await runner({
    databaseUrl: ownerUrl,
    dir: migrationsDir(schema),
    schema,
    migrationsTable: 'pgmigrations',
    direction: 'up',
    count: Infinity,
    checkOrder: true,
    singleTransaction: true,
    log: () => undefined,
  });
  if (applied.length > 0) log(`Applied ${applied.length} migration(s) to schema ${schema} in ${options.database}`);
}
