/**
 * Settings the operator scripts (`npm start`, bootstrap, seed, admin creation) share. Each has a
 * default that works on a development machine with local PostgreSQL, Redis and RabbitMQ.
 */
export function databaseSettings(env: NodeJS.ProcessEnv = process.env): {
  adminUrl: string;
  database: string;
  passwords: Record<string, string>;
  production: boolean;
} {
  const passwords: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    // DB_PASSWORD_<ROLE>, e.g. DB_PASSWORD_ORDERS_SERVICE, overrides the development password of that role.
    const match = /^DB_PASSWORD_([A-Z_]+)$/.exec(name);
    if (match?.[1] && value) passwords[match[1].toLowerCase()] = value;
  }
  return {
    adminUrl: env['ADMIN_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    database: env['DATABASE_NAME'] ?? 'foodflow',
    passwords,
    production: env['NODE_ENV'] === 'production',
  };
}
