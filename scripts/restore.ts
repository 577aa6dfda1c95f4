import pg from 'pg';
import { consistencyProblems } from './lib/backup-check.js';
import { backupSettings, databaseUrl, restoreBackup } from './lib/backup.js';
import { databaseSettings } from './lib/settings.js';

/**
 * `npm run restore -- <backup folder>`: the backup into DATABASE_NAME (which must not exist) and the Redis
 * database of REDIS_URL (which must be empty), then the consistency check. Exits non-zero, listing what is
 * wrong, when the restored data fails it: do not start the services on it then.
 */
const path = process.argv[2];
if (!path) {
  console.error('Usage: npm run restore -- <backup folder>, e.g. backups/2026-12-06T03-30-00.000Z');
  process.exit(2);
}

const settings = backupSettings(process.env, databaseSettings());
const manifest = await restoreBackup(settings, path, (m) => console.log(m));
const client = new pg.Client({ connectionString: databaseUrl(settings.adminUrl, settings.database) });
await client.connect();
try {
  const problems = await consistencyProblems(client, manifest);
  if (problems.length > 0) {
    console.error(`The restored data of ${settings.database} is not consistent:`);
    for (const problem of problems) console.error(`  - ${problem}`);
    process.exitCode = 1;
  } else {
    const tables = Object.keys(manifest.rowCounts).length;
    console.log(
      `Restored ${settings.database} from ${manifest.createdAt}: ${tables} tables match the backup, consistent.`,
    );
  }
} finally {
  await client.end();
}
