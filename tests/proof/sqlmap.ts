import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * One sqlmap run against one request, bounded: PostgreSQL's payloads only (the platform's one database),
 * level 1 and risk 1 (no payload that could change data on its own), boolean, error, stacked and time
 * techniques with a two-second delay, a session of its own that starts empty, and `--batch` so it never
 * waits for a person.
 */
export interface SqlmapTarget {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** JSON text; sqlmap tests each of its values. */
  body?: string;
  /** Only these, by name; sqlmap skips a parameter that looks like an anti-CSRF token unless it is named here. */
  only?: string[];
  /** sqlmap's technique letters; boolean, error, stacked and time-based unless told. */
  techniques?: string;
}

export interface SqlmapReport {
  /** The parameters sqlmap says it tested, in its own names (`JSON email`, `#1*` for a marked path segment, `q`). */
  tested: string[];
  /** Parameters sqlmap found injectable. */
  injectable: string[];
  output: string;
}

const TESTED = /parameter '([^']+)' (?:does not seem to be injectable|is not injectable)/g;
/**
 * The injection points of sqlmap's closing summary, which lists only those it confirmed: a hint during the
 * run ("appears to be … injectable") is checked again and may be dropped as a false positive, as a slow
 * answer on a busy machine can look like a time-based hit.
 */
const INJECTABLE = /^Parameter: (.+) \(.+\)$/gm;

export async function runSqlmap(target: SqlmapTarget): Promise<SqlmapReport> {
  const outputDir = mkdtempSync(join(tmpdir(), 'foodflow-sqlmap-'));
  const args = [
    '-u',
    target.url,
    '--method',
    target.method,
    '--headers',
    Object.entries(target.headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\n'),
    ...(target.body === undefined ? [] : ['--data', target.body]),
    ...(target.only ? ['-p', target.only.join(',')] : []),
    '--batch',
    '--dbms',
    'PostgreSQL',
    '--level',
    '1',
    '--risk',
    '1',
    '--technique',
    target.techniques ?? 'BEST',
    '--time-sec',
    '2',
    '--timeout',
    '10',
    '--retries',
    '1',
    // Refusals are the expected answer to most probes; they must not end the run.
    '--ignore-code',
    '400,401,403,404,409,415,422',
    '--answers',
    'process=Y,custom=Y,follow=N,skip=N,keep=N',
    // Its WAF probe sends an unknown parameter, which the API refuses as it should: not a firewall.
    '--skip-waf',
    '--flush-session',
    '--disable-coloring',
    '--output-dir',
    outputDir,
  ];
  try {
    const output = await new Promise<string>((resolve, reject) => {
      execFile('sqlmap', args, { maxBuffer: 64 * 1024 * 1024, timeout: 180_000 }, (err, stdout, stderr) => {
        if (err && err.killed) reject(new Error(`sqlmap timed out:\n${stdout}${stderr}`));
        else resolve(`${stdout}${stderr}`);
      });
    });
    return {
      tested: [...new Set([...output.matchAll(TESTED)].map((m) => m[1] ?? ''))],
      injectable: [...new Set([...output.matchAll(INJECTABLE)].map((m) => m[1] ?? ''))],
      output,
    };
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
}
