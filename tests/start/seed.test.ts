import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapDatabase } from '../../db/bootstrap.js';
import { DEMO_ACCOUNTS, OTHER_OWNERS } from '../../db/seeds/demo-accounts.js';
import { ensureDevKeys } from '../../scripts/lib/keys.js';
import { seedEnv } from '../../scripts/lib/stack.js';
import { runSeeds } from '../../scripts/seed.js';
import { addressFieldContext } from '../../services/user/src/addresses/address.repository.js';
import { FieldCipher, parseDataKeys } from '../../services/user/src/security/field-cipher.js';
import { PasswordHasher } from '../../services/user/src/security/password-hasher.js';
import { dropDatabase } from '../setup/global-setup.js';
import { ADMIN_DATABASE_URL, TEST_DATABASE } from '../setup/test-env.js';

/**
 * A database of its own: the demo restaurants must not join the stories of the other tests. (That a
 * second run changes nothing is tests/db/seed.test.ts's.)
 */
const SEED_DATABASE = `${TEST_DATABASE}_start`;
const operator = { ADMIN_DATABASE_URL, DATABASE_NAME: SEED_DATABASE };
const quiet = (): void => undefined;

let db: pg.Client;
// Development keys where npm start would not look by default, so only the environment can lead there.
const keysRoot = mkdtempSync(join(tmpdir(), 'foodflow-seed-keys-'));
const keys = ensureDevKeys(keysRoot, operator, quiet);

beforeAll(async () => {
  await dropDatabase(SEED_DATABASE);
  await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: SEED_DATABASE });
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${SEED_DATABASE}`;
  db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  await runSeeds(seedEnv(keys, operator), quiet);
});

afterAll(async () => {
  await db?.end();
  await dropDatabase(SEED_DATABASE);
  rmSync(keysRoot, { recursive: true, force: true });
});

describe('demo seeds', () => {
  it('when the demo is seeded, then every demo account in the README signs in with the password the README gives, in its role', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const table = [...readme.matchAll(/^\| ([a-z ]+) \| `([^`]+@foodflow\.local)` \| `([^`]+)` \|$/gm)].map(
      ([, role, email, password]) => ({ role: role!.replace(' ', '_'), email: email!, password: password! }),
    );
    const others = /\(`marco@foodflow\.local`, `mei@foodflow\.local`, password `([^`]+)`\)/.exec(readme);
    expect(table.map((row) => row.role).sort()).toEqual(['admin', 'customer', 'driver', 'restaurant_owner']);
    expect(others).not.toBeNull();
    const documented = [
      ...table,
      ...OTHER_OWNERS.map((o) => ({ role: 'restaurant_owner', email: o.email, password: others![1]! })),
    ];

    const hasher = new PasswordHasher({ cost: 10, threads: 1, maxQueue: 20 });
    try {
      for (const account of documented) {
        const { rows } = await db.query<{ role: string; password_hash: string }>(
          'SELECT role, password_hash FROM users.users WHERE email = $1',
          [account.email],
        );
        expect(rows[0]?.role, account.email).toBe(account.role);
        expect(await hasher.verify(account.password, rows[0]!.password_hash), account.email).toBe(true);
      }
    } finally {
      await hasher.destroy();
    }
  });

  it("when npm start seeds with the user service's environment, then the demo customer's address is sealed with that service's data key", async () => {
    const { rows } = await db.query<{ user_id: string; street_encrypted: string; city: string }>(
      'SELECT user_id, street_encrypted, city FROM users.addresses WHERE user_id = $1',
      [DEMO_ACCOUNTS.customer.id],
    );
    expect(rows).toHaveLength(1);
    const cipher = new FieldCipher(parseDataKeys(readFileSync(keys.dataKeysFile!, 'utf8')).keys);
    const street = cipher.decrypt(rows[0]!.street_encrypted, addressFieldContext('street_encrypted', rows[0]!.user_id));
    expect(street).toBe('253 Broadway');
  });
});
