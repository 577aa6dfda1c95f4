import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDevKeys, HalfKeyPairError } from '../../scripts/lib/keys.js';
import { STACK, stackEnv } from '../../scripts/lib/stack.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let root: string;
const log: string[] = [];
const remember = (message: string): void => void log.push(message);

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'foodflow-keys-'));
  log.length = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('development keys', () => {
  it('when no keys are configured, then a matching ES256 pair and a data key are made once, readable only by the owner', () => {
    const keys = ensureDevKeys(root, {}, remember);
    const { privateKeyFile, publicKeyFile } = keys.tokens!;
    const derived = createPublicKey(createPrivateKey(readFileSync(privateKeyFile)));
    expect(derived.equals(createPublicKey(readFileSync(publicKeyFile)))).toBe(true);
    expect(derived.asymmetricKeyDetails).toEqual({ namedCurve: 'prime256v1' });
    expect(readFileSync(keys.dataKeysFile!, 'utf8')).toMatch(/^k1:[A-Za-z0-9+/]{43}=\n$/);
    expect(statSync(privateKeyFile).mode & 0o077).toBe(0);
    expect(statSync(keys.dataKeysFile!).mode & 0o077).toBe(0);
    expect(log).toHaveLength(2);

    const privateKey = readFileSync(privateKeyFile, 'utf8');
    expect(ensureDevKeys(root, {}, remember)).toEqual(keys);
    expect(readFileSync(privateKeyFile, 'utf8')).toBe(privateKey);
    expect(log).toHaveLength(2);
  });

  it('when the operator configured both halves of the signing pair, then only the data key is made', () => {
    const env = { JWT_PRIVATE_KEY_FILE: '/etc/foodflow/private.pem', JWT_PUBLIC_KEY_FILE: '/etc/foodflow/public.pem' };
    const keys = ensureDevKeys(root, env, remember);
    expect(keys.tokens).toBeUndefined();
    expect(existsSync(join(root, '.keys', 'jwt-private.pem'))).toBe(false);
    expect(existsSync(join(root, '.keys', 'jwt-public.pem'))).toBe(false);
    expect(existsSync(keys.dataKeysFile!)).toBe(true);
  });

  it.each([
    ['JWT_PUBLIC_KEY_FILE', 'public', 'JWT_PRIVATE_KEY nor JWT_PRIVATE_KEY_FILE'],
    ['JWT_PUBLIC_KEY', 'public', 'JWT_PRIVATE_KEY nor JWT_PRIVATE_KEY_FILE'],
    ['JWT_PRIVATE_KEY', 'private', 'JWT_PUBLIC_KEY nor JWT_PUBLIC_KEY_FILE'],
    ['JWT_PRIVATE_KEY_FILE', 'private', 'JWT_PUBLIC_KEY nor JWT_PUBLIC_KEY_FILE'],
  ])(
    'when only %s is configured, then it refuses, naming what is missing, and makes nothing',
    (given, half, missing) => {
      const env = { [given]: 'the operator key' };
      expect(() => ensureDevKeys(root, env, remember)).toThrow(HalfKeyPairError);
      expect(() => ensureDevKeys(root, env, remember)).toThrow(
        `the ${half} key is given (${given}), but neither ${missing} is set`,
      );
      expect(existsSync(join(root, '.keys'))).toBe(false);
      expect(log).toEqual([]);
    },
  );

  it('when the operator configured every key, then nothing is made, not even the folder', () => {
    const env = {
      JWT_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----…',
      JWT_PUBLIC_KEY_FILE: '/k.pem',
      DATA_ENCRYPTION_KEYS: 'k9:…',
    };
    expect(ensureDevKeys(root, env, remember)).toEqual({});
    expect(existsSync(join(root, '.keys'))).toBe(false);
    expect(log).toEqual([]);
  });
});

describe('the environment of each process npm start runs', () => {
  const others = STACK.map((p) => p.name).filter((name) => name !== 'user');

  it('when the keys are the development ones, then only the user service gets the signing and data keys', () => {
    const keys = ensureDevKeys(root, {}, remember);
    expect(stackEnv('user', keys, {})).toMatchObject({
      JWT_PRIVATE_KEY_FILE: keys.tokens!.privateKeyFile,
      JWT_PUBLIC_KEY_FILE: keys.tokens!.publicKeyFile,
      DATA_ENCRYPTION_KEYS_FILE: keys.dataKeysFile,
    });
    for (const name of [...others, 'web']) {
      const env = stackEnv(name, keys, {});
      expect(env['JWT_PUBLIC_KEY_FILE'], name).toBe(keys.tokens!.publicKeyFile);
      expect(env, name).not.toHaveProperty('JWT_PRIVATE_KEY_FILE');
      expect(env, name).not.toHaveProperty('DATA_ENCRYPTION_KEYS_FILE');
    }
  });

  it('when the operator configured keys, then theirs are used and their secrets still reach the user service only', () => {
    const operator = {
      PATH: '/usr/bin',
      JWT_PRIVATE_KEY: 'the operator private key',
      JWT_PUBLIC_KEY_FILE: '/etc/foodflow/public.pem',
      DATA_ENCRYPTION_KEYS_FILE: '/etc/foodflow/data-keys',
    };
    const keys = ensureDevKeys(root, operator, remember);
    expect(stackEnv('user', keys, operator)).toMatchObject(operator);
    for (const name of [...others, 'web']) {
      const env = stackEnv(name, keys, operator);
      expect(env, name).toMatchObject({ PATH: '/usr/bin', JWT_PUBLIC_KEY_FILE: '/etc/foodflow/public.pem' });
      for (const secret of ['JWT_PRIVATE_KEY', 'JWT_PRIVATE_KEY_FILE', 'DATA_ENCRYPTION_KEYS_FILE']) {
        expect(env, `${name} ${secret}`).not.toHaveProperty(secret);
      }
    }
  });
});

describe('npm start', () => {
  it('when only the public key is configured, then it stops before anything else, saying which variables are missing', () => {
    const started = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: {
        PATH: process.env['PATH'] ?? '',
        JWT_PUBLIC_KEY_FILE: '/etc/foodflow/public.pem',
        DATA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        // Should it ever get past the keys, nothing answers here: it stops at the dependency check instead.
        ADMIN_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres',
        REDIS_URL: 'redis://127.0.0.1:2/0',
        AMQP_URL: 'amqp://guest:guest@127.0.0.1:3',
      },
      timeout: 60_000,
    });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain(
      'the public key is given (JWT_PUBLIC_KEY_FILE), but neither JWT_PRIVATE_KEY nor JWT_PRIVATE_KEY_FILE is set',
    );
    expect(started.stderr).not.toContain('not reachable');
    expect(started.stdout).toBe('');
  });
});
