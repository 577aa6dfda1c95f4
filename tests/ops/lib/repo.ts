import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Helpers the static checks of the deployment files share. */
export const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export const repoPath = (...parts: string[]): string => join(ROOT, ...parts);

export const readText = (path: string): string => readFileSync(repoPath(path), 'utf8');

/** YAML with merge keys (`<<: *anchor`) resolved, as Compose resolves them. */
export const readYaml = <T>(path: string): T => parse(readText(path), { merge: true }) as T;

export interface CommandResult {
  status: number | null;
  output: string;
}

export function runCommand(command: string, args: string[], cwd = ROOT): CommandResult {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
}

/** Every TypeScript file under `dir` (recursively), relative to the repository root. */
export function typeScriptFiles(dir: string): string[] {
  if (!existsSync(repoPath(dir))) return [];
  return readdirSync(repoPath(dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(dir, file));
}

/** The workspaces of the root package.json, expanded to the folders that hold a package.json. */
export function workspaceDirs(): string[] {
  const { workspaces } = JSON.parse(readText('package.json')) as { workspaces: string[] };
  return workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return existsSync(repoPath(pattern, 'package.json')) ? [pattern] : [];
    const parent = pattern.slice(0, -2);
    return readdirSync(repoPath(parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(repoPath(parent, entry.name, 'package.json')))
      .map((entry) => `${parent}/${entry.name}`);
  });
}
