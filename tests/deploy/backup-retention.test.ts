import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MANIFEST, pruneBackups } from '../../scripts/lib/backup.js';

/** Which backups `npm run backup` keeps (BACKUP_KEEP): the newest complete ones, never one being written. */
describe('backup retention', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('when more backups than BACKUP_KEEP exist, then the oldest complete ones go and a partial one stays', () => {
    dir = mkdtempSync(join(tmpdir(), 'foodflow-retention-'));
    const names = ['2026-12-01T03-30-00.000Z', '2026-12-02T03-30-00.000Z', '2026-12-03T03-30-00.000Z'];
    for (const name of names) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, MANIFEST), '{}');
    }
    mkdirSync(join(dir, '2026-12-04T03-30-00.000Z.partial'));

    expect(pruneBackups(dir, 2)).toEqual([names[0]]);
    expect(readdirSync(dir).sort()).toEqual([names[1], names[2], '2026-12-04T03-30-00.000Z.partial']);
    expect(pruneBackups(dir, 2)).toEqual([]);
  });
});
