import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDevKeys } from '../scripts/lib/keys.js';

/**
 * The Compose stack's one-shot `secrets` job (run with tsx in the tools image). Makes, once, the
 * secrets the services share and keeps them in named volumes, so none is committed or baked into an
 * image, and each service mounts only what it needs:
 * - `.keys/` (the signing-keys volume): the token-signing key pair and the data-encryption key, made
 *   the same way `npm start` makes them; only the user service and the seed job mount it;
 * - <public-key dir>/jwt-public.pem: the half every other service and Kong verify tokens with;
 * - <internal-secret dir>/internal-api-secret: what services present to each other's /internal routes.
 *
 * Usage: tsx deploy/prepare-secrets.mjs <public-key dir> <internal-secret dir>
 */
const [publicKeyDir, internalSecretDir] = process.argv.slice(2);
if (!publicKeyDir || !internalSecretDir) {
  throw new Error('usage: prepare-secrets.mjs <public-key dir> <internal-secret dir>');
}

const { tokens } = ensureDevKeys(process.cwd());
if (!tokens) {
  throw new Error(
    'This job makes the token-signing pair itself: give it no JWT_PRIVATE_KEY[_FILE] or JWT_PUBLIC_KEY[_FILE]',
  );
}
copyFileSync(tokens.publicKeyFile, join(publicKeyDir, 'jwt-public.pem'));

const internalSecret = join(internalSecretDir, 'internal-api-secret');
if (!existsSync(internalSecret)) {
  writeFileSync(internalSecret, randomBytes(32).toString('base64url'), { mode: 0o600 });
}
