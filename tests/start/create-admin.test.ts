import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { generateTestKeys } from '@foodflow/platform/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../services/user/src/security/password-hasher.js';
import { testEnv } from '../setup/test-env.js';

/** `npm run admin:create` as an operator runs it, against the test database and Redis. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const keys = generateTestKeys();
const env = testEnv('users_service', {
  JWT_PRIVATE_KEY: keys.privateKey,
  JWT_PUBLIC_KEY: keys.publicKey,
  DATA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
});

const createAdmin = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...env },
    timeout: 60_000,
  });

let db: pg.Client;
let redis: Redis;
const hasher = new PasswordHasher({ cost: 10, threads: 1, maxQueue: 20 });
const email = (): string => `operator-${randomUUID().slice(0, 12)}@example.com`;

interface Account {
  id: string;
  role: string;
  first_name: string;
  password_hash: string;
}
const account = async (address: string): Promise<Account | undefined> =>
  (await db.query<Account>('SELECT id, role, first_name, password_hash FROM users WHERE email = $1', [address]))
    .rows[0];

beforeAll(async () => {
  db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  redis = new Redis(env.REDIS_URL);
});

afterAll(async () => {
  await hasher.destroy();
  redis.disconnect();
  await db.end();
});

describe('npm run admin:create', () => {
  it('when the email is new, then an admin account is created with that password', async () => {
    const address = email();
    const run = createAdmin(
      '--email',
      address,
      '--password',
      'a long passphrase',
      '--first-name',
      'Ada',
      '--last-name',
      'Lovelace',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`Created admin ${address}`);
    const created = await account(address);
    expect(created).toMatchObject({ role: 'admin', first_name: 'Ada' });
    expect(await hasher.verify('a long passphrase', created!.password_hash)).toBe(true);
  });

  describe('when the account exists', () => {
    let address: string;
    let existing: Account;

    beforeAll(async () => {
      address = email();
      const { rows } = await db.query<Account>(
        `INSERT INTO users (email, password_hash, first_name, last_name, role)
         VALUES ($1, $2, 'Casey', 'Customer', 'customer') RETURNING id, role, first_name, password_hash`,
        [address, await hasher.hash('the customer password')],
      );
      existing = rows[0]!;
    });

    it('then it is promoted, keeps its password, and its cached profile is no longer served', async () => {
      const run = createAdmin('--email', address);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`${address} (${existing.id}) is now an admin.`);
      expect(await account(address)).toEqual({ ...existing, role: 'admin' });
      expect(await redis.exists(`users:profile-generation:${existing.id}`)).toBe(1);
    });

    it('then a password given with the promotion replaces the old one', async () => {
      const run = createAdmin('--email', address, '--password', 'a brand new passphrase');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('is now an admin with the new password');
      const promoted = await account(address);
      expect(await hasher.verify('a brand new passphrase', promoted!.password_hash)).toBe(true);
      expect(await hasher.verify('the customer password', promoted!.password_hash)).toBe(false);
    });
  });

  it('when the email is new but the name or password is missing, then it refuses and creates nothing', async () => {
    const address = email();
    const run = createAdmin('--email', address, '--password', 'a long passphrase');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('A new admin needs --password, --first-name and --last-name');
    expect(await account(address)).toBeUndefined();
  });
});
