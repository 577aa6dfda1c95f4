import { backupSettings, pruneBackups, takeBackup } from './lib/backup.js';
import { databaseSettings } from './lib/settings.js';

/**
 * `npm run backup`: every service schema (pg_dump, custom format, one snapshot) and the Redis keys into a
 * new folder under BACKUP_DIR (`backups/`), keeping the newest BACKUP_KEEP (7). Reads the bootstrap's
 * settings: ADMIN_DATABASE_URL, DATABASE_NAME, and REDIS_URL.
 */
const dir = process.env['BACKUP_DIR'] ?? 'backups';
const keep = Number(process.env['BACKUP_KEEP'] ?? 7);
if (!Number.isInteger(keep) || keep < 1)
  throw new Error(`BACKUP_KEEP must be a whole number of at least 1, not ${keep}`);

const settings = backupSettings(process.env, databaseSettings());
const { path, manifest } = await takeBackup(settings, dir);
const rows = Object.values(manifest.rowCounts).reduce((sum, n) => sum + n, 0);
console.log(
  `Backed up ${settings.database} (${manifest.schemas.length} schemas, ${rows} rows) and ${manifest.redisKeys} Redis key(s) to ${path}`,
);
for (const removed of pruneBackups(dir, keep)) console.log(`Removed the older backup ${removed}`);
