import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface DataKey {
  id: string;
  key: Buffer;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses key lines `keyId:base64-of-32-bytes`. The first line is the current key (new values are
 * encrypted with it); the others stay so values written before a rotation still decrypt.
 */
export function parseDataKeys(text: string): { keys: DataKey[]; problems: string[] } {
  const keys: DataKey[] = [];
  const problems: string[] = [];
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith('#'));
  lines.forEach((line, index) => {
    const separator = line.indexOf(':');
    const id = line.slice(0, separator);
    const key = Buffer.from(line.slice(separator + 1), 'base64');
    if (separator < 1 || !KEY_ID.test(id)) problems.push(`line ${index + 1} must look like keyId:base64`);
    else if (key.length !== 32) problems.push(`key "${id}" must be 32 bytes (base64), got ${key.length}`);
    else if (keys.some((k) => k.id === id)) problems.push(`key id "${id}" appears twice`);
    else keys.push({ id, key });
  });
  if (lines.length === 0) problems.push('at least one key is required');
  return { keys, problems };
}

/**
 * Encrypts personal fields at rest with AES-256-GCM. Each value is stored as
 * `keyId:iv:tag:ciphertext` (base64url parts), so it names the key that can open it and keys can
 * rotate without rewriting old rows at once. GCM's tag makes any tampering fail loudly.
 */
export class FieldCipher {
  private readonly current: DataKey;
  private readonly byId: Map<string, Buffer>;

  constructor(keys: DataKey[]) {
    const [current] = keys;
    if (!current) throw new Error('FieldCipher needs at least one key');
    this.current = current;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.current.key, iv);
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url'));
    return [this.current.id, ...parts].join(':');
  }

  decrypt(stored: string): string {
    const [keyId, iv, tag, data, ...rest] = stored.split(':');
    if (keyId === undefined || iv === undefined || tag === undefined || data === undefined || rest.length > 0) {
      throw new Error('Encrypted value is malformed');
    }
    const key = this.byId.get(keyId);
    if (!key) throw new Error(`No data-encryption key "${keyId}" is configured`);
    const decipher = createDecipheriv(ALGORITHM, key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }

  encryptOptional(plaintext: string | null): string | null {
    return plaintext === null ? null : this.encrypt(plaintext);
  }

  decryptOptional(stored: string | null): string | null {
    return stored === null ? null : this.decrypt(stored);
  }
}
