import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@foodflow/platform/testing';

/** What differs between the Compose deployment and a test run of the same nginx.conf. */
export interface EdgeSettings {
  staticRoot: string;
  gateway: string;
  realtime: string;
  /** limit_req rate, e.g. `20r/s`, and burst. */
  rate: string;
  burst: number;
}

/**
 * nginx/nginx.conf with the test's addresses in place of the Compose ones. Each directive must be found
 * exactly where expected, so a change to the file cannot silently leave the test on the old values.
 */
export function configureFor(conf: string, settings: EdgeSettings & { listen: string }): string {
  const substitutions: [RegExp, string, number][] = [
    [/listen 80;/g, `listen ${settings.listen};`, 1],
    [/root \/usr\/share\/nginx\/html;/g, `root ${settings.staticRoot};`, 1],
    [/(upstream gateway \{[^}]*?server )kong:8000;/g, `$1${settings.gateway};`, 1],
    [/(upstream realtime \{[^}]*?server )kong:8000;/g, `$1${settings.realtime};`, 1],
    [/rate=20r\/s;/g, `rate=${settings.rate};`, 1],
    [/burst=40 nodelay;/g, `burst=${settings.burst} nodelay;`, 2],
  ];
  return substitutions.reduce((text, [pattern, replacement, expected]) => {
    const found = text.match(pattern)?.length ?? 0;
    if (found !== expected) throw new Error(`nginx.conf: expected ${expected} × ${pattern}, found ${found}`);
    return text.replace(pattern, replacement);
  }, conf);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A directory the Nginx workers (an unprivileged user) may read. */
export function readableTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export interface RunningNginx {
  baseUrl: string;
  stop: () => Promise<void>;
}

/**
 * The real Nginx with nginx/nginx.conf (the test's addresses swapped in) beside Debian's mime.types, as
 * in the image's /etc/nginx, in the foreground as a child process.
 */
export async function startNginx(settings: EdgeSettings): Promise<RunningNginx> {
  const prefix = readableTempDir('foodflow-nginx-');
  const conf = join(prefix, 'conf');
  mkdirSync(conf);
  copyFileSync('/etc/nginx/mime.types', join(conf, 'mime.types'));
  const port = await freePort();
  const original = readFileSync(fileURLToPath(new URL('../../nginx/nginx.conf', import.meta.url)), 'utf8');
  writeFileSync(join(conf, 'nginx.conf'), configureFor(original, { ...settings, listen: `127.0.0.1:${port}` }));

  const errorLog = join(prefix, 'error.log');
  const child: ChildProcess = spawn(
    'nginx',
    [
      '-p',
      prefix,
      '-c',
      join(conf, 'nginx.conf'),
      '-g',
      `daemon off; pid ${prefix}/nginx.pid; error_log ${errorLog} warn;`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error('nginx exited');
      return (await fetch(`${baseUrl}/nginx/health`)).ok || undefined;
    }, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    let log = '';
    try {
      log = readFileSync(errorLog, 'utf8');
    } catch {
      // Nginx stopped before opening its log; the spawn error says why.
    }
    throw new Error(`Nginx did not start (${String(err)}):\n${log}`);
  }
  return {
    baseUrl,
    stop: async () => {
      // SIGQUIT: finish what is in flight, then exit.
      child.kill('SIGQUIT');
      await exited;
    },
  };
}
