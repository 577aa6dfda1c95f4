import { bootstrapDatabase } from '../db/bootstrap.js';
import { databaseSettings } from './lib/settings.js';

/** `npm run db:bootstrap`: roles, schemas and migrations for the development database. */
const { adminUrl, database, passwords } = databaseSettings();
await bootstrapDatabase({ adminUrl, database, passwords, log: (m) => console.log(m) });
console.log(`Database ${database} is ready.`);
