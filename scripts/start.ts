import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bootstrapDatabase } from '../db/bootstrap.js';
import { checkDependencies } from './lib/infrastructure.js';
import { type DevKeys, ensureDevKeys, HalfKeyPairError } from './lib/keys.js';
import { run, startProcess } from './lib/run.js';
import { databaseSettings } from './lib/settings.js';
import { nodeArgs, presentProcesses, seedEnv, stackEnv, WEB_APP } from './lib/stack.js';
import { runSeeds } from './seed.js';

/**
 * `npm start`: everything from a fresh clone to a running stack. Makes development keys where the
 * environment configures none (and stops if it gives half the signing pair), checks PostgreSQL, Redis
 * and RabbitMQ, creates and migrates the database, builds, seeds demo data, starts every service and
 * the gateway, waits until each is ready, and says where to go. Ctrl-C stops it all.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const colours = ['36', '35', '33', '32', '34', '31'];
const paint = (code: string, text: string): string => (process.stdout.isTTY ? `\x1b[${code}m${text}\x1b[0m` : text);

/** ECS JSON log lines, shortened to "time [service] level message" for a terminal. */
function pretty(name: string, colour: string, line: string): string {
  try {
    const entry = JSON.parse(line) as { '@timestamp'?: string; 'log.level'?: string; message?: string };
    const time = (entry['@timestamp'] ?? '').slice(11, 19);
    return `${time} ${paint(colour, `[${name}]`)} ${entry['log.level'] ?? ''} ${entry.message ?? line}`;
  } catch {
    return `${paint(colour, `[${name}]`)} ${line}`;
  }
}

async function waitUntilReady(port: number, path = '/health/ready', timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

// Before the dependency check: half a signing pair is the operator's to fix whatever else runs.
let keys: DevKeys;
try {
  keys = ensureDevKeys(root);
} catch (err) {
  if (!(err instanceof HalfKeyPairError)) throw err;
  console.error(`✗ ${err.message}`);
  process.exit(1);
}
if (!(await checkDependencies())) process.exit(1);
const settings = databaseSettings();
console.log(`Preparing database ${settings.database}…`);
await bootstrapDatabase({ ...settings, log: (m) => console.log(`  ${m}`) });
// Built before seeding: the seeds use the services' own code (password hashing, encryption).
console.log('Building…');
run('npx', ['tsc', '-b']);
console.log('Seeding demo data…');
await runSeeds(seedEnv(keys, process.env));
const withWebApp = existsSync(`${WEB_APP.dir}/package.json`);
if (withWebApp) {
  console.log('Building the web app…');
  run('npm', ['run', 'build', '--silent', '-w', WEB_APP.dir], { env: { VITE_API_URL: WEB_APP.apiUrl } });
}

const processes = presentProcesses(root);
const children: ChildProcess[] = [];
let stopping = false;
const stopAll = (code: number): void => {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping…');
  // Each child leads its own process group; signalling the group also reaches what it started (npm → vite).
  for (const child of children) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  let remaining = children.filter((c) => c.exitCode === null).length;
  if (remaining === 0) process.exit(code);
  for (const child of children) {
    child.once('exit', () => {
      remaining -= 1;
      if (remaining <= 0) process.exit(code);
    });
  }
  setTimeout(() => process.exit(code), 15_000).unref();
};
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

processes.forEach((p, i) => {
  const colour = colours[i % colours.length] ?? '37';
  const child = startProcess('node', nodeArgs(p.dir), {
    env: { ...stackEnv(p.name, keys, process.env), PORT: String(p.port) },
    onLine: (line) => console.log(pretty(p.name, colour, line)),
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${p.name} exited (${code ?? signal}); stopping the stack.`);
      stopAll(1);
    }
  });
  children.push(child);
});

if (withWebApp) {
  const child = startProcess('npm', ['run', 'preview', '--silent', '-w', WEB_APP.dir], {
    env: stackEnv(WEB_APP.name, keys, process.env),
    onLine: (line) => console.log(pretty('web', colours[processes.length % colours.length] ?? '37', line)),
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`web app exited (${code ?? signal}); stopping the stack.`);
      stopAll(1);
    }
  });
  children.push(child);
}

const ready = await Promise.all([
  ...processes.map(async (p) => [p.name, await waitUntilReady(p.port)] as const),
  ...(withWebApp ? [(async () => ['web', await waitUntilReady(WEB_APP.port, '/')] as const)()] : []),
]);
const failed = ready.filter(([, ok]) => !ok).map(([name]) => name);
if (failed.length > 0) {
  console.error(`Not ready after 30 s: ${failed.join(', ')}. See the log lines above.`);
  stopAll(1);
} else {
  console.log(`
Food Flow is running.${withWebApp ? `\n  Web app:             http://localhost:${WEB_APP.port}` : ''}
  API (gateway):       http://localhost:8000/api   e.g. http://localhost:8000/api/restaurants
${processes
  .filter((p) => p.name !== 'gateway')
  .map(
    (p) => `  ${`${p.name} service:`.padEnd(21)}http://localhost:${p.port}  (/health/ready, /metrics, /openapi.json)`,
  )
  .join('\n')}
  Demo accounts:       see README.md ("Demo accounts")
Press Ctrl-C to stop.`);
}
