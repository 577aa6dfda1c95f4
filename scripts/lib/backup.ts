import { execFile } from 'node:child_process';
import { once } from 'node:events';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { bootstrapDatabase, SERVICE_SCHEMAS } from '../../db/bootstrap.js';

/**
 * Backups of the platform's state (the seed's disaster recovery): every service schema dumped by pg_dump
 * in its custom format, all from one exported snapshot, so the four schemas show the same instant (an
 * order the delivery service has copied is in the order service's dump too); the Redis database's keys
 * with their expiries; and a manifest with each table's row count in that same snapshot, which the
 * consistency check compares a restore against.
 *
 *   <dir>/<UTC time>/manifest.json, <schema>.dump (one per schema), redis.jsonl
 */
const run = promisify(execFile);

export const MANIFEST = 'manifest.json';
const REDIS_FILE = 'redis.jsonl';

export interface BackupSettings {
  /** A superuser connection (pg_dump reads every schema; a restore creates roles and the database). */
  adminUrl: string;
  database: string;
  redisUrl: string;
}

export interface BackupManifest {
  format: 1;
  createdAt: string;
  database: string;
  schemas: string[];
  /** Rows of every table, `schema.table` → count, in the snapshot the dumps were taken from. */
  rowCounts: Record<string, number>;
  redisKeys: number;
}

export function backupSettings(
  env: NodeJS.ProcessEnv,
  database: { adminUrl: string; database: string },
): BackupSettings {
  return { ...database, redisUrl: env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/0' };
}

export const databaseUrl = (adminUrl: string, database: string): string => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
};

const SCHEMAS = SERVICE_SCHEMAS.map((s) => s.schema);

/** Rows per table of the service schemas, as the client's transaction sees them. */
export async function rowCounts(client: pg.Client): Promise<Record<string, number>> {
  const { rows: tables } = await client.query<{ name: string }>(
    `SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.tables
     WHERE table_schema = ANY($1) AND table_type = 'BASE TABLE' ORDER BY 1`,
    [SCHEMAS],
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${name}`);
    counts[name] = Number(rows[0]!.n);
  }
  return counts;
}

/** Takes a backup into a new folder under `dir`; returns that folder. */
export async function takeBackup(
  settings: BackupSettings,
  dir: string,
): Promise<{ path: string; manifest: BackupManifest }> {
  const createdAt = new Date().toISOString();
  const path = join(dir, createdAt.replaceAll(':', '-'));
  // Written under another name and renamed when complete, so a half-made backup is never taken for one.
  const partial = `${path}.partial`;
  mkdirSync(partial, { recursive: true });
  try {
    const client = new pg.Client({
      connectionString: databaseUrl(settings.adminUrl, settings.database),
      application_name: 'foodflow-backup',
    });
    await client.connect();
    let counts: Record<string, number>;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const { rows } = await client.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
      counts = await rowCounts(client);
      // The snapshot stays importable while this transaction is open.
      for (const schema of SCHEMAS) {
        await run('pg_dump', [
          `--dbname=${databaseUrl(settings.adminUrl, settings.database)}`,
          `--snapshot=${rows[0]!.snapshot}`,
          '--format=custom',
          `--schema=${schema}`,
          `--file=${join(partial, `${schema}.dump`)}`,
        ]);
      }
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
    const redisKeys = await dumpRedis(settings.redisUrl, join(partial, REDIS_FILE));
    const manifest: BackupManifest = {
      format: 1,
      createdAt,
      database: settings.database,
      schemas: SCHEMAS,
      rowCounts: counts,
      redisKeys,
    };
    writeFileSync(join(partial, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(partial, path);
    return { path, manifest };
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Every key of the Redis database with its remaining time to live, in Redis' own serialization (DUMP),
 * read from the running server: nothing is written to its disk and nothing needs a restart. Keys are
 * read one batch at a time, so a key changed meanwhile is saved as it was when its batch was read.
 */
async function dumpRedis(url: string, file: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const out = createWriteStream(file);
  let count = 0;
  try {
    await redis.connect();
    for await (const keys of redis.scanBufferStream({ count: 500 })) {
      const batch = keys as Buffer[];
      if (batch.length === 0) continue;
      const pipeline = redis.pipeline();
      for (const key of batch) pipeline.dumpBuffer(key).pttl(key);
      const replies = (await pipeline.exec()) ?? [];
      batch.forEach((key, i) => {
        const [, value] = replies[2 * i] as [Error | null, Buffer | null];
        const [, ttl] = replies[2 * i + 1] as [Error | null, number];
        // Gone between the scan and the dump (expired or deleted): there is nothing to keep.
        if (value === null || ttl === -2) return;
        out.write(`${JSON.stringify({ key: key.toString('base64'), ttl, value: value.toString('base64') })}\n`);
        count += 1;
      });
    }
  } finally {
    out.end();
    await once(out, 'close');
    redis.disconnect();
  }
  return count;
}

export function readManifest(path: string): BackupManifest {
  const file = join(path, MANIFEST);
  if (!existsSync(file)) throw new Error(`${path} is not a complete backup: it has no ${MANIFEST}`);
  return JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
}

/**
 * Restores a backup into `settings.database`, which must not exist yet, and into the Redis database,
 * which must be empty: a restore never mixes with data of its own. The roles, the database and its
 * extensions come from the bootstrap (as on any new server); each schema's dump then replaces what the
 * bootstrap's migrations made, in one transaction per schema.
 */
export async function restoreBackup(
  settings: BackupSettings,
  path: string,
  log: (m: string) => void,
): Promise<BackupManifest> {
  const manifest = readManifest(path);
  const admin = new pg.Client({ connectionString: settings.adminUrl, application_name: 'foodflow-restore' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [settings.database]);
    if (rowCount) {
      throw new Error(
        `The database ${settings.database} exists. Restore into a new one (DATABASE_NAME), or drop it first.`,
      );
    }
  } finally {
    await admin.end();
  }
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    if ((await redis.dbsize()) > 0) {
      throw new Error(`The Redis database at ${settings.redisUrl} holds keys; restore into an empty one.`);
    }
    await bootstrapDatabase({ adminUrl: settings.adminUrl, database: settings.database, log });
    await withEarthdistanceResolvable(databaseUrl(settings.adminUrl, settings.database), async () => {
      for (const schema of manifest.schemas) {
        log(`Restoring schema ${schema}`);
        await run('pg_restore', [
          `--dbname=${databaseUrl(settings.adminUrl, settings.database)}`,
          '--clean',
          '--if-exists',
          '--single-transaction',
          '--exit-on-error',
          join(path, `${schema}.dump`),
        ]);
      }
    });
    log(`Restoring ${manifest.redisKeys} Redis key(s)`);
    await restoreRedis(redis, join(path, REDIS_FILE));
  } finally {
    redis.disconnect();
  }
  return manifest;
}

/**
 * pg_restore runs with an empty search_path, where earthdistance's ll_to_earth (an SQL function that names
 * the extension's type and functions unqualified) fails when the restaurants' generated column computes
 * it. For the restore the function carries a search_path of its own; afterwards it is as the extension
 * made it again, so queries may inline it as before.
 */
async function withEarthdistanceResolvable(url: string, restore: () => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'foodflow-restore' });
  const fn = 'public.ll_to_earth(float8, float8)';
  await client.connect();
  try {
    await client.query(`ALTER FUNCTION ${fn} SET search_path = public`);
    try {
      await restore();
    } finally {
      await client.query(`ALTER FUNCTION ${fn} RESET search_path`);
    }
  } finally {
    await client.end();
  }
}

async function restoreRedis(redis: Redis, file: string): Promise<void> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let pipeline = redis.pipeline();
  let queued = 0;
  const flush = async () => {
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    pipeline = redis.pipeline();
    queued = 0;
  };
  for await (const line of lines) {
    if (!line) continue;
    const { key, ttl, value } = JSON.parse(line) as { key: string; ttl: number; value: string };
    // The time left when the backup was taken; -1 (no expiry) is RESTORE's 0.
    pipeline.restore(Buffer.from(key, 'base64'), Math.max(ttl, 0), Buffer.from(value, 'base64'), 'REPLACE');
    if (++queued === 500) await flush();
  }
  await flush();
}

/** Deletes all but the newest `keep` complete backups under `dir` (their folder names sort by time). */
export function pruneBackups(dir: string, keep: number): string[] {
  const complete = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, MANIFEST)))
    .map((entry) => entry.name)
    .sort();
  const removed = complete.slice(0, Math.max(complete.length - keep, 0));
  for (const name of removed) rmSync(join(dir, name), { recursive: true, force: true });
  return removed;
}
