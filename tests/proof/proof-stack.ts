import pg from 'pg';
import { http } from '@foodflow/platform/testing';
import { ADMIN_DATABASE_URL, SYSTEM_TEST_DATABASE } from '../setup/test-env.js';
import { startStack, type Stack } from '../system/stack.js';
import { type Account, register } from '../system/support.js';

/**
 * The whole platform for a proof suite, with a connection that sees every service's schema, and an
 * account of every role. The suites send thousands of requests as a handful of users from one address in
 * a minute or two, far past the contract's 100 a minute: the gateway's limits are raised so that what is
 * proven is how each endpoint answers, not the rate limiter (which has tests of its own).
 */
const ROLES = ['customer', 'restaurant_owner', 'driver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface ProofStack {
  stack: Stack;
  api: (path: string) => string;
  /** The system test database as its owner: every schema, past each service's own grants. */
  db: pg.Pool;
  stop: () => Promise<void>;
}

export async function startProofStack(env: Parameters<typeof startStack>[0] = {}): Promise<ProofStack> {
  const stack = await startStack({
    ...env,
    gateway: { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_PER_HOUR: '10000000', ...env.gateway },
  });
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${SYSTEM_TEST_DATABASE}`;
  const db = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    stack,
    api: (path) => `${stack.gatewayUrl}${path}`,
    db,
    stop: async () => {
      await db.end();
      await stack.stop();
    },
  };
}

/**
 * A signed-in account of `role`. Nobody can sign up as an admin, so an admin is a customer promoted in the
 * users schema, as `npm run admin:create` does, who then signs in again for a token carrying the role.
 */
async function signUp({ stack, db }: ProofStack, role: Role): Promise<Account> {
  if (role !== 'admin') return register(stack.gatewayUrl, role);
  const account = await register(stack.gatewayUrl, 'customer');
  await db.query(`UPDATE users.users SET role = 'admin' WHERE id = $1`, [account.id]);
  return { ...account, token: await signIn(stack, account.email) };
}

/** The password `register` gives every account. */
export const PASSWORD = 'correct-horse-battery';

async function signIn(stack: Stack, email: string): Promise<string> {
  const res = await http('POST', `${stack.gatewayUrl}/api/auth/login`, { body: { email, password: PASSWORD } });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken;
}

export const everyRole = async (proof: ProofStack): Promise<Record<Role, Account>> =>
  Object.fromEntries(await Promise.all(ROLES.map(async (role) => [role, await signUp(proof, role)]))) as Record<
    Role,
    Account
  >;
