import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapDatabase, SERVICE_SCHEMAS } from '../../db/bootstrap.js';
import { ADMIN_DATABASE_URL, TEST_DATABASE } from '../setup/test-env.js';

let admin: pg.Client;
const passwordHash = async (role: string): Promise<string | null> =>
  (await admin.query<{ rolpassword: string | null }>('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [role]))
    .rows[0]?.rolpassword ?? null;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
});

afterAll(async () => {
  await admin.end();
});

describe('database bootstrap', () => {
  it('when run again, then it changes nothing and a password an operator rotated stays', async () => {
    const before = await passwordHash('orders_service');
    await admin.query(`ALTER ROLE orders_service PASSWORD 'rotated-by-an-operator'`);
    const rotated = await passwordHash('orders_service');
    try {
      await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: TEST_DATABASE });
      expect(await passwordHash('orders_service')).toBe(rotated);
    } finally {
      await admin.query(`ALTER ROLE orders_service PASSWORD 'orders_service'`);
    }
    expect(before).not.toBeNull();
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

  it('then each service role may use its own schema and no other', async () => {
    const url = new URL(ADMIN_DATABASE_URL);
    url.pathname = `/${TEST_DATABASE}`;
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    const { rows } = await db.query<{ role: string; schema: string; usage: boolean }>(
      `SELECT r.role, s.schema, has_schema_privilege(r.role, s.schema, 'USAGE') AS usage
         FROM unnest($1::text[]) AS r(role), unnest($2::text[]) AS s(schema)`,
      [SERVICE_SCHEMAS.map((s) => s.role), SERVICE_SCHEMAS.map((s) => s.schema)],
    );
    await db.end();
    expect(rows).toHaveLength(SERVICE_SCHEMAS.length ** 2);
    for (const { role, schema, usage } of rows) {
      const own = SERVICE_SCHEMAS.find((s) => s.role === role)?.schema === schema;
      expect(usage, `${role} on ${schema}`).toBe(own);
    }
  });
});
