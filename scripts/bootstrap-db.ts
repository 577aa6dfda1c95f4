import { bootstrapDatabase } from '../db/bootstrap.js';
import { databaseSettings } from './lib/settings.js';

/** `npm run db:bootstrap`: roles, schemas and migrations for the development database. */
const settings = databaseSettings();
await bootstrapDatabase({ ...settings, log: (m) => console.log(m) });
console.log(`Database ${settings.database} is ready.`);
