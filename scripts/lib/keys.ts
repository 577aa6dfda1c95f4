import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const KEYS_DIR = '.keys';

/**
 * Development keys, generated once into the git-ignored `.keys/` folder: the ES256 key pair the user
 * service signs access tokens with (the other services and the gateway verify with the public half),
 * and the AES-256-GCM key that encrypts personal data at rest. Production passes its own through the
 * environment instead.
 */
export function ensureDevKeys(root: string): { privateKeyFile: string; publicKeyFile: string; dataKeysFile: string } {
  const dir = join(root, KEYS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privateKeyFile = join(dir, 'jwt-private.pem');
  const publicKeyFile = join(dir, 'jwt-public.pem');
  const dataKeysFile = join(dir, 'data-encryption-keys');
  if (!existsSync(privateKeyFile) || !existsSync(publicKeyFile)) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(privateKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    console.log(`Generated a development token-signing key pair in ${KEYS_DIR}/`);
  }
  if (!existsSync(dataKeysFile)) {
    writeFileSync(dataKeysFile, `k1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    console.log(`Generated a development data-encryption key in ${KEYS_DIR}/`);
  }
  return { privateKeyFile, publicKeyFile, dataKeysFile };
}
