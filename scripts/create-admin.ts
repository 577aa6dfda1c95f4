/**
 * Creates an administrator, or promotes an existing account to administrator. Admins cannot sign
 * themselves up; this operator command is the only way besides the demo seed.
 *
 *   npm run admin:create -- --email ops@example.com --password 'a long passphrase' \
 *     --first-name Ada --last-name Lovelace
 *
 * For an email that already has an account, only `--email` is needed: the account becomes an admin,
 * and its password is replaced if `--password` is given. The command writes straight to the users
 * schema as the `users_service` role, with the user service's own configuration (DATABASE_URL,
 * REDIS_URL, BCRYPT_COST, DATA_ENCRYPTION_KEYS or DATA_ENCRYPTION_KEYS_FILE, the JWT key files);
 * the development defaults work after `npm start` (or `npm run build`) has run once.
 */
import { parseArgs } from 'node:util';
import { AppError, createLogger, createRedis, Database, validateValue } from '@foodflow/platform';
import Joi from 'joi';
import { email, password } from '../services/user/src/auth/auth.schemas.js';
import { loadUserConfig } from '../services/user/src/config.js';
import { FieldCipher } from '../services/user/src/security/field-cipher.js';
import { PasswordHasher } from '../services/user/src/security/password-hasher.js';
import { ProfileCache } from '../services/user/src/users/profile-cache.js';
import { firstName, lastName } from '../services/user/src/users/user.schemas.js';
import { UserRepository } from '../services/user/src/users/user.repository.js';

interface AdminInput {
  email: string;
  password?: string;
  firstName?: string;
  lastName?: string;
}

const argsSchema = Joi.object<AdminInput>({
  email: email.required(),
  password,
  firstName,
  lastName,
});

function readArgs(): AdminInput {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      'first-name': { type: 'string' },
      'last-name': { type: 'string' },
    },
    strict: true,
  });
  return validateValue(argsSchema, {
    email: values.email,
    password: values.password,
    firstName: values['first-name'],
    lastName: values['last-name'],
  });
}

async function main(): Promise<void> {
  const input = readArgs();
  const config = loadUserConfig();
  const logger = createLogger({ service: 'create-admin', level: 'warn' });
  const db = new Database({ url: config.database.url, logger, applicationName: 'create-admin', max: 1 });
  const hasher = new PasswordHasher({ ...config.extra.passwords, threads: 1 });
  const cipher = new FieldCipher(config.extra.dataKeys);
  const users = new UserRepository(db, cipher);
  try {
    const existing = await users.findByEmail(input.email);
    if (!existing) {
      if (!input.password || !input.firstName || !input.lastName) {
        throw new Error('A new admin needs --password, --first-name and --last-name');
      }
      const created = await db.transaction(async (q) =>
        users.insert(q, {
          email: input.email,
          passwordHash: await hasher.hash(input.password as string),
          firstName: input.firstName as string,
          lastName: input.lastName as string,
          phone: null,
          role: 'admin',
        }),
      );
      if (created) {
        console.log(`Created admin ${created.email} (${created.id}).`);
        return;
      }
    }
    const passwordHash = input.password ? await hasher.hash(input.password) : undefined;
    const promoted = await users.promoteToAdmin(input.email, passwordHash);
    if (!promoted) throw new Error(`No account ${input.email} to promote`);
    // The profile shows the new role at once; access tokens already issued keep the old one until they expire.
    const redis = createRedis(config.redisUrl, logger, 'create-admin');
    try {
      await new ProfileCache(redis, cipher, config.extra.profileCacheTtlS, logger).invalidate(promoted.id);
    } finally {
      redis.disconnect();
    }
    console.log(`${promoted.email} (${promoted.id}) is now an admin${passwordHash ? ' with the new password' : ''}.`);
  } finally {
    await hasher.destroy();
    await db.close();
  }
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

try {
  await main();
} catch (err) {
  const message =
    err instanceof AppError && err.details
      ? `invalid arguments${err.details.map((d) => `\n  --${kebab(d.path)} ${d.message}`).join('')}`
      : (err as Error).message;
  console.error(`Could not create the admin: ${message}`);
  process.exitCode = 1;
}
