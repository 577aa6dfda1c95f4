import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapDatabase, OWNER_ROLE, SERVICE_SCHEMAS } from '../../db/bootstrap.js';
import { ADMIN_DATABASE_URL, TEST_DATABASE } from '../setup/test-env.js';

const ROLES = [OWNER_ROLE, ...SERVICE_SCHEMAS.map((s) => s.role)];
const SCHEMAS = SERVICE_SCHEMAS.map((s) => s.schema);

let admin: pg.Client;
let testDb: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${TEST_DATABASE}`;
  testDb = new pg.Client({ connectionString: url.toString() });
  await testDb.connect();
});

afterAll(async () => {
  await testDb.end();
  await admin.end();
});

/** Roles are server-wide: the development database's services log in with these very ones. */
const storedPassword = async (role: string): Promise<string | null> =>
  (await admin.query<{ rolpassword: string | null }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]))
    .rows[0]?.rolpassword ?? null;

/** Everything the bootstrap creates or grants, as PostgreSQL's catalogs record it. */
async function catalogState(): Promise<Record<string, unknown[]>> {
  const rows = async (client: pg.Client, sql: string, values: unknown[] = []): Promise<unknown[]> =>
    (await client.query(sql, values)).rows;
  const migrations: unknown[] = [];
  for (const schema of SCHEMAS) {
    migrations.push(
      ...(await rows(testDb, `SELECT $1::text AS schema, name, run_on FROM ${schema}.pgmigrations ORDER BY id`, [
        schema,
      ])),
    );
  }
  return {
    roles: await rows(
      admin,
      `SELECT a.rolname, a.rolpassword, a.rolcanlogin, a.rolsuper, a.rolcreaterole, a.rolcreatedb,
              (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = a.oid AND s.setdatabase = 0) AS settings
       FROM pg_authid a WHERE a.rolname = ANY($1) ORDER BY a.rolname`,
      [ROLES],
    ),
    database: await rows(
      admin,
      'SELECT pg_get_userbyid(datdba) AS owner, datacl::text FROM pg_database WHERE datname = $1',
      [TEST_DATABASE],
    ),
    schemas: await rows(
      testDb,
      `SELECT nspname, pg_get_userbyid(nspowner) AS owner, nspacl::text FROM pg_namespace
       WHERE nspname = ANY($1) OR nspname = 'public' ORDER BY nspname`,
      [SCHEMAS],
    ),
    relations: await rows(
      testDb,
      `SELECT n.nspname, c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner, c.relacl::text
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = ANY($1) ORDER BY n.nspname, c.relname`,
      [SCHEMAS],
    ),
    defaultPrivileges: await rows(
      testDb,
      `SELECT pg_get_userbyid(defaclrole) AS role, defaclnamespace::regnamespace::text AS schema, defaclobjtype,
              defaclacl::text
       FROM pg_default_acl ORDER BY 1, 2, 3`,
    ),
    extensions: await rows(testDb, 'SELECT extname, extversion FROM pg_extension ORDER BY extname'),
    migrations,
  };
}

describe('database bootstrap', () => {
  it('when run again, then it changes nothing PostgreSQL records about roles, schemas, grants or migrations', async () => {
    const before = await catalogState();
    await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: TEST_DATABASE });
    expect(await catalogState()).toEqual(before);
    expect(before['migrations']!.length).toBeGreaterThan(SCHEMAS.length);
  });

  it('when an operator rotated a password, then running it again keeps the rotated one', async () => {
    const original = await storedPassword('orders_service');
    try {
      await admin.query(`ALTER ROLE orders_service PASSWORD 'rotated-by-an-operator'`);
      const rotated = await storedPassword('orders_service');
      expect(rotated).not.toBe(original);
      await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: TEST_DATABASE });
      expect(await storedPassword('orders_service')).toBe(rotated);
    } finally {
      // A stored SCRAM or MD5 secret given as the password is kept as it is: the role is exactly as it was.
      await admin.query(
        original === null
          ? 'ALTER ROLE orders_service PASSWORD NULL'
          : `ALTER ROLE orders_service PASSWORD ${pg.escapeLiteral(original)}`,
      );
    }
    expect(await storedPassword('orders_service')).toBe(original);
  });

  it('when run in production without every password, then it refuses and names the variables', async () => {
    await expect(
      bootstrapDatabase({
        adminUrl: ADMIN_DATABASE_URL,
        database: TEST_DATABASE,
        production: true,
        passwords: { foodflow: 'secret' },
      }),
    ).rejects.toThrow(/DB_PASSWORD_USERS_SERVICE.*DB_PASSWORD_DELIVERIES_SERVICE/);
  });

  it('when bootstrapped, then the foodflow role owns the database and every service schema', async () => {
    const { rows: database } = await admin.query<{ owner: string }>(
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
      [TEST_DATABASE],
    );
    expect(database).toEqual([{ owner: OWNER_ROLE }]);
    const { rows: schemas } = await testDb.query<{ nspname: string; owner: string }>(
      'SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = ANY($1) ORDER BY 1',
      [SCHEMAS],
    );
    expect(schemas).toEqual([...SCHEMAS].sort().map((nspname) => ({ nspname, owner: OWNER_ROLE })));
  });

  it('when bootstrapped, then every table with an updated_at column has a trigger keeping it', async () => {
    const { rows } = await testDb.query<{ table: string; kept: boolean }>(
      `SELECT c.table_schema || '.' || c.table_name AS table,
              EXISTS (
                SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE t.tgrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass
                  AND p.proname = 'set_updated_at' AND NOT t.tgisinternal
              ) AS kept
       FROM information_schema.columns c
       WHERE c.table_schema = ANY($1) AND c.column_name = 'updated_at'
       ORDER BY 1`,
      [SCHEMAS],
    );
    expect(rows.length).toBeGreaterThanOrEqual(SCHEMAS.length);
    expect(rows.filter((r) => !r.kept).map((r) => r.table)).toEqual([]);
  });

  it('when a row is updated, then its updated_at moves on and its created_at stays', async () => {
    await testDb.query('BEGIN');
    try {
      const { rows: inserted } = await testDb.query<{ id: string }>(
        `INSERT INTO users.users (email, password_hash, first_name, last_name, role, created_at, updated_at)
         VALUES ('trigger-check@example.com', 'x', 'T', 'C', 'customer', '2000-01-01Z', '2000-01-01Z') RETURNING id`,
      );
      const { rows } = await testDb.query<{ created_at: Date; updated_at: Date }>(
        `UPDATE users.users SET first_name = 'Changed' WHERE id = $1 RETURNING created_at, updated_at`,
        [inserted[0]?.id],
      );
      expect(rows[0]?.created_at.toISOString()).toBe('2000-01-01T00:00:00.000Z');
      expect(rows[0]?.updated_at.getTime()).toBeGreaterThan(Date.parse('2000-01-01Z'));
    } finally {
      await testDb.query('ROLLBACK');
    }
  });

  it('when bootstrapped, then each service role may use its own schema and no other', async () => {
    const { rows } = await testDb.query<{ role: string; schema: string; usage: boolean }>(
      `SELECT r.role, s.schema, has_schema_privilege(r.role, s.schema, 'USAGE') AS usage
         FROM unnest($1::text[]) AS r(role), unnest($2::text[]) AS s(schema)`,
      [SERVICE_SCHEMAS.map((s) => s.role), SCHEMAS],
    );
    expect(rows).toHaveLength(SERVICE_SCHEMAS.length ** 2);
    for (const { role, schema, usage } of rows) {
      const own = SERVICE_SCHEMAS.find((s) => s.role === role)?.schema === schema;
      expect(usage, `${role} on ${schema}`).toBe(own);
    }
  });
});
