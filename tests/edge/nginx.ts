import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '@foodflow/platform/testing';

const nginxDir = fileURLToPath(new URL('../../nginx/', import.meta.url));

export interface SiteVariables {
  FOODFLOW_STATIC_ROOT: string;
  FOODFLOW_GATEWAY: string;
  FOODFLOW_REALTIME: string;
  FOODFLOW_EDGE_RATE: string;
  FOODFLOW_EDGE_BURST: string;
}

/** What the nginx image's envsubst step does: every `${NAME}` replaced, and none may be left unset. */
export function renderTemplate(template: string, variables: Record<string, string>): string {
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (_, name: string) => {
    const value = variables[name];
    if (value === undefined) throw new Error(`The Nginx template needs ${name}`);
    return value;
  });
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
 * The real Nginx with nginx/nginx.conf and the rendered site template, laid out as in the image
 * (conf dir with mime.types, security-headers.conf and conf.d/), in the foreground as a child process.
 */
export async function startNginx(variables: SiteVariables): Promise<RunningNginx> {
  const prefix = readableTempDir('foodflow-nginx-');
  const conf = join(prefix, 'conf');
  mkdirSync(join(conf, 'conf.d'), { recursive: true });
  copyFileSync(join(nginxDir, 'nginx.conf'), join(conf, 'nginx.conf'));
  copyFileSync(join(nginxDir, 'security-headers.conf'), join(conf, 'security-headers.conf'));
  copyFileSync('/etc/nginx/mime.types', join(conf, 'mime.types'));
  const port = await freePort();
  const template = readFileSync(join(nginxDir, 'templates', 'foodflow.conf.template'), 'utf8');
  writeFileSync(
    join(conf, 'conf.d', 'foodflow.conf'),
    renderTemplate(template, { ...variables, FOODFLOW_LISTEN: `127.0.0.1:${port}` }),
  );

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
