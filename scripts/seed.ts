import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { databaseSettings } from './lib/settings.js';

/**
 * `npm run db:seed`: demo data for every service, idempotently. Each service contributes one
 * `db/seeds/NN-<name>.seed.ts` module exporting `seed(context)`; they run in file-name order.
 */
export interface SeedContext {
  /** A connection URL for a service's own database role (seeds write only their own schema). */
  urlFor: (role: string) => string;
  /** The environment the seeds were run with, where a seed reads the settings of its service. */
  env: NodeJS.ProcessEnv;
  log: (message: string) => void;
}

export async function runSeeds(
  env: NodeJS.ProcessEnv = process.env,
  log: (message: string) => void = (m) => console.log(`  ${m}`),
): Promise<void> {
  const { adminUrl, database, passwords } = databaseSettings(env);
  const urlFor = (role: string): string => {
    const u = new URL(adminUrl);
    u.username = role;
    u.password = passwords[role] ?? role;
    u.pathname = `/${database}`;
    return u.toString();
  };
  const dir = fileURLToPath(new URL('../db/seeds/', import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.seed.ts'))
    .sort();
  for (const file of files) {
    const module = (await import(pathToFileURL(`${dir}${file}`).href)) as {
      seed: (context: SeedContext) => Promise<void>;
    };
    await module.seed({ urlFor, env, log });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runSeeds();
  console.log('Demo data is in place.');
}
