import { spawn, spawnSync } from 'node:child_process';

/** Runs a command with inherited output; throws with its name if it fails. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; quiet?: boolean } = {}): void {
  const result = spawnSync(command, args, {
    stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    if (options.quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(`\`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal})`);
  }
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Installs Debian packages that provide the given commands, when a command is missing. The tests that
 * need them (real Nginx, promtool, Compose validation) then run against the real tools.
 */
export function ensureDebianPackages(packages: { command: string; pkg: string }[]): void {
  const missing = packages.filter((p) => !commandExists(p.command));
  if (missing.length === 0) return;
  const names = [...new Set(missing.map((p) => p.pkg))];
  console.log(`Installing ${names.join(', ')} from Debian's packages…`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env, quiet: true });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { env, quiet: true });
}

/**
 * Spawns a long-running child whose output lines are handed to `onLine`. `env` is its whole environment
 * (nothing of this process's is added to it), so a secret left out of it stays out.
 */
export function startProcess(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; onLine: (line: string) => void },
) {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own: Ctrl-C reaches only the parent, which then stops each child once,
    // gracefully, instead of every child receiving the terminal's signal and then the parent's too.
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) if (line) options.onLine(line);
    });
  }
  return child;
}
