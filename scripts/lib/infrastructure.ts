import { connect } from 'node:net';

export interface Dependency {
  name: string;
  url: string;
  howToStart: string;
}

/** The backing services the stack needs, at the addresses the services will use. */
export function dependencies(env: NodeJS.ProcessEnv = process.env): Dependency[] {
  return [
    {
      name: 'PostgreSQL',
      url: env['ADMIN_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      howToStart: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    },
    {
      name: 'Redis',
      url: env['REDIS_URL'] ?? 'redis://127.0.0.1:6379/0',
      howToStart:
        'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
    },
    {
      name: 'RabbitMQ',
      url: env['AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672',
      howToStart: 'rabbitmq-server -detached',
    },
  ];
}

const defaultPorts: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379, 'amqp:': 5672 };

function reachable(url: string, timeoutMs = 2000): Promise<boolean> {
  const u = new URL(url);
  const port = Number(u.port || defaultPorts[u.protocol] || 0);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port, timeout: timeoutMs });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** Checks every dependency; on failure says which, where, and how to start it. Returns whether all answered. */
export async function checkDependencies(
  env: NodeJS.ProcessEnv = process.env,
  report: (message: string) => void = console.error,
): Promise<boolean> {
  let ok = true;
  for (const dependency of dependencies(env)) {
    if (await reachable(dependency.url)) continue;
    ok = false;
    const where = new URL(dependency.url);
    report(
      `✗ ${dependency.name} is not reachable at ${where.hostname}:${where.port || defaultPorts[where.protocol]}.\n` +
        `  Start it with:  ${dependency.howToStart}`,
    );
  }
  return ok;
}
