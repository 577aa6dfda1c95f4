import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KEYS_DIR = '.keys';

/** The variables through which an operator gives each key; any one of a key's names gives it. */
export const PRIVATE_KEY_VARIABLES = ['JWT_PRIVATE_KEY', 'JWT_PRIVATE_KEY_FILE'];
export const PUBLIC_KEY_VARIABLES = ['JWT_PUBLIC_KEY', 'JWT_PUBLIC_KEY_FILE'];
export const DATA_KEY_VARIABLES = ['DATA_ENCRYPTION_KEYS', 'DATA_ENCRYPTION_KEYS_FILE'];

/** The operator gave one half of the token-signing pair and not the other. */
export class HalfKeyPairError extends Error {}

/** The development keys in use: only those the operator did not configure. */
export interface DevKeys {
  tokens?: { privateKeyFile: string; publicKeyFile: string };
  dataKeysFile?: string;
}

const configured = (env: NodeJS.ProcessEnv, names: string[]): boolean => names.some((name) => Boolean(env[name]));

/**
 * The signing pair is one thing: a development half beside the operator's would never match it, and
 * the user service would stop at boot on the mismatch. Both halves given, or neither, or nothing starts.
 */
function signingPairConfigured(env: NodeJS.ProcessEnv): boolean {
  const privateHalf = { half: 'private', names: PRIVATE_KEY_VARIABLES };
  const publicHalf = { half: 'public', names: PUBLIC_KEY_VARIABLES };
  const privateGiven = configured(env, privateHalf.names);
  if (privateGiven === configured(env, publicHalf.names)) return privateGiven;
  const [given, missing] = privateGiven ? [privateHalf, publicHalf] : [publicHalf, privateHalf];
  const set = given.names.filter((name) => env[name]).join(' and ');
  throw new HalfKeyPairError(
    `The token-signing key pair is half configured: the ${given.half} key is given (${set}), but neither ` +
      `${missing.names.join(' nor ')} is set. Give the ${missing.half} key of the same pair too, or unset ` +
      `${set} to use a development pair made in ${KEYS_DIR}/.`,
  );
}

/**
 * Development keys, generated once into the git-ignored `.keys/` folder, for what the operator has not
 * configured: the ES256 key pair the user service signs access tokens with (the other services and the
 * gateway verify with the public half), and the AES-256-GCM key that encrypts personal data at rest.
 * Keys the operator gives through the environment are theirs alone: nothing is generated beside them.
 * Throws HalfKeyPairError, before writing anything, when only one half of the signing pair is given.
 */
export function ensureDevKeys(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
  log: (message: string) => void = console.log,
): DevKeys {
  const keys: DevKeys = {};
  const dir = join(root, KEYS_DIR);
  const ensureDir = (): void => void mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!signingPairConfigured(env)) {
    ensureDir();
    const privateKeyFile = join(dir, 'jwt-private.pem');
    const publicKeyFile = join(dir, 'jwt-public.pem');
    if (!existsSync(privateKeyFile) || !existsSync(publicKeyFile)) {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
      log(`Generated a development token-signing key pair in ${KEYS_DIR}/`);
    }
    keys.tokens = { privateKeyFile, publicKeyFile };
  }
  if (!configured(env, DATA_KEY_VARIABLES)) {
    ensureDir();
    const dataKeysFile = join(dir, 'data-encryption-keys');
    if (!existsSync(dataKeysFile)) {
      writeFileSync(dataKeysFile, `k1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      log(`Generated a development data-encryption key in ${KEYS_DIR}/`);
    }
    keys.dataKeysFile = dataKeysFile;
  }
  return keys;
}
