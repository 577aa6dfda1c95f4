import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { measure } from './lib/measure.js';
import { freePort, startTsProcess, stopProcess, waitUntilReady } from './lib/processes.js';
import type { BenchContext, Fixture, Measurement, ResultRow, Scenario, ScenarioOutcome } from './lib/types.js';

/**
 * `npm run bench [-- <prefix>...]`: runs every scenario in `bench/scenarios/*.ts` whose name starts with one
 * of the prefixes (all without any), measures its baselines in the same run on the same machine, prints
 * a table and writes `bench/results/latest.json`.
 */
const here = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);

async function discover(): Promise<Scenario[]> {
  const dir = join(here, 'scenarios');
  const all: Scenario[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .sort()) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as { scenarios?: Scenario[] };
    all.push(...(module.scenarios ?? []));
  }
  return all.filter((s) => filters.length === 0 || filters.some((f) => s.name.startsWith(f)));
}

/** Measures a bare server of `kind` sending the scenario's exact response under the scenario's load. */
async function measureBaseline(kind: 'express' | 'node-http', outcome: ScenarioOutcome): Promise<Measurement> {
  const baseline = outcome.baseline;
  if (!baseline) throw new Error('no baseline requested');
  const dir = mkdtempSync(join(tmpdir(), 'foodflow-bench-'));
  const bodyFile = join(dir, 'body');
  const headersFile = join(dir, 'headers.json');
  writeFileSync(bodyFile, baseline.body);
  writeFileSync(headersFile, JSON.stringify({ ...baseline.headers, 'content-type': baseline.contentType }));
  const port = await freePort();
  const child = startTsProcess('bench/baselines/server.ts', [kind, String(port), bodyFile, headersFile], {
    ...process.env,
    NODE_ENV: 'production',
  });
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitUntilReady(`${baseUrl}/`, child);
    return await measure({ baseUrl, path: baseline.path, pid: child.pid }, outcome.load);
  } finally {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

function row(
  scenario: string,
  m: Measurement,
  baseline?: { name: string; m: Measurement },
  compare = 'throughput',
): ResultRow {
  let ratio: number | null = null;
  if (baseline) ratio = compare === 'latency' ? baseline.m.p99Ms / m.p99Ms : m.rps / baseline.m.rps;
  return {
    scenario,
    rps: round(m.rps, 1),
    p50Ms: round(m.p50Ms),
    p99Ms: round(m.p99Ms),
    baselineScenario: baseline?.name ?? null,
    ratio: ratio === null ? null : round(ratio, 3),
    serverCpu: m.cpu?.server ?? null,
    loadCpu: m.cpu?.load ?? null,
  };
}

async function main(): Promise<void> {
  const scenarios = await discover();
  if (scenarios.length === 0) {
    console.error(`No scenario matches ${filters.join(', ')}`);
    process.exitCode = 1;
    return;
  }
  const fixtures = new Map<string, Promise<Fixture<unknown>>>();
  const context: BenchContext = {
    measure,
    fixture: async <T>(name: string, start: () => Promise<Fixture<T>>): Promise<T> => {
      if (!fixtures.has(name)) {
        console.log(`  starting ${name}…`);
        fixtures.set(name, start());
      }
      return ((await fixtures.get(name)) as Fixture<T>).value;
    },
    log: (message) => console.log(`  ${message}`),
  };

  const rows: ResultRow[] = [];
  const goals = new Map<string, string>();
  const failures: string[] = [];
  try {
    for (const scenario of scenarios) {
      console.log(`▶ ${scenario.name}`);
      const outcome = await scenario.run(context);
      if (scenario.goal) goals.set(scenario.name, scenario.goal);
      if (outcome.measurement.errors > 0) failures.push(`${scenario.name}: ${outcome.measurement.errors} errors`);
      if (!outcome.baseline) {
        rows.push(row(scenario.name, outcome.measurement));
        continue;
      }
      const nodeName = `baseline.node-http[${scenario.name}]`;
      const expressName = `baseline.express[${scenario.name}]`;
      const node = await measureBaseline('node-http', outcome);
      const express = await measureBaseline('express', outcome);
      rows.push(row(nodeName, node));
      rows.push(row(expressName, express, { name: nodeName, m: node }, outcome.compare));
      rows.push(row(scenario.name, outcome.measurement, { name: expressName, m: express }, outcome.compare));
    }
  } finally {
    for (const fixture of [...fixtures.values()].reverse()) await (await fixture).stop();
  }

  console.table(rows.map((r) => ({ ...r, goal: goals.get(r.scenario) ?? '' })));
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'latest.json'), `${JSON.stringify(rows, null, 2)}\n`);
  console.log('Written to bench/results/latest.json');
  if (failures.length > 0) {
    console.error(`Requests failed during measurement:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

await main();
