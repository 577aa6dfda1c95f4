import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { combined, measure, median } from './lib/measure.js';
import { freePort, startTsProcess, stopProcess, waitUntilReady } from './lib/processes.js';
import type {
  BaselineResponse,
  BenchContext,
  Fixture,
  Load,
  Measurement,
  ResultRow,
  Scenario,
  Target,
} from './lib/types.js';

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

type BaselineKind = 'express' | 'node-http';

/** A bare server of `kind` sending `response`, in its own process, until stopped. */
async function startBaseline(
  kind: BaselineKind,
  response: BaselineResponse,
): Promise<{ target: Target; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'foodflow-bench-'));
  const bodyFile = join(dir, 'body');
  const headersFile = join(dir, 'headers.json');
  writeFileSync(bodyFile, response.body);
  writeFileSync(headersFile, JSON.stringify({ ...response.headers, 'content-type': response.contentType }));
  const port = await freePort();
  const child = startTsProcess('bench/baselines/server.ts', [kind, String(port), bodyFile, headersFile], {
    ...process.env,
    NODE_ENV: 'production',
  });
  const stop = async (): Promise<void> => {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(`${baseUrl}/`, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { target: { baseUrl, path: response.path, pid: child.pid }, stop };
}

/** One figure set per server: the scenario's and its two baselines'. */
interface Trio<T> {
  scenario: T;
  express: T;
  node: T;
}

/** Measures a bare server of `kind` once, under the load the scenario measured itself with. */
async function measureBaseline(kind: BaselineKind, response: BaselineResponse, load: Load): Promise<Measurement> {
  const baseline = await startBaseline(kind, response);
  try {
    return await measure(baseline.target, load);
  } finally {
    await baseline.stop();
  }
}

/**
 * Measures a steady target and its two baselines in `rounds` rounds of `load.durationS` each, the order
 * reversed every other round (target, Express, node:http; then node:http, Express, target), each server
 * warmed up before its first round only. A ratio is taken within one round, between measurements seconds
 * apart, so a machine whose speed drifts (a shared host, a neighbour's burst) moves both sides alike,
 * where one long measurement of each, a minute apart, may in effect compare two different machines.
 */
async function measureInRounds(
  target: Target,
  response: BaselineResponse,
  load: Load,
  rounds: number,
): Promise<Trio<Measurement>[]> {
  const express = await startBaseline('express', response);
  try {
    const node = await startBaseline('node-http', response);
    try {
      const servers: Trio<Target> = { scenario: target, express: express.target, node: node.target };
      const order: (keyof Trio<Target>)[] = ['scenario', 'express', 'node'];
      const results: Trio<Measurement>[] = [];
      for (let round = 0; round < rounds; round++) {
        const measured: Partial<Trio<Measurement>> = {};
        for (const which of round % 2 === 0 ? order : [...order].reverse()) {
          measured[which] = await measure(servers[which], round === 0 ? load : { ...load, warmupS: 0 });
        }
        results.push(measured as Trio<Measurement>);
      }
      return results;
    } finally {
      await node.stop();
    }
  } finally {
    await express.stop();
  }
}

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits;

type Compare = 'throughput' | 'latency';

const ratioOf = (compare: Compare, m: Measurement, baseline: Measurement): number =>
  compare === 'latency' ? baseline.p99Ms / m.p99Ms : m.rps / baseline.rps;

function row(scenario: string, m: Measurement, baseline?: { name: string; ratio: number }): ResultRow {
  return {
    scenario,
    rps: round(m.rps, 1),
    p50Ms: round(m.p50Ms),
    p99Ms: round(m.p99Ms),
    baselineScenario: baseline?.name ?? null,
    ratio: baseline ? round(baseline.ratio, 3) : null,
    serverCpu: m.cpu?.server ?? null,
    loadCpu: m.cpu?.load ?? null,
  };
}

/**
 * A scenario's rows beside its baselines: node:http, Express (its ratio against node:http) and the scenario
 * (against Express). Measured in rounds, each figure is the median of the rounds' and each ratio the median
 * of the ratios taken within a round.
 */
function comparedRows(
  name: string,
  compare: Compare,
  rounds: Trio<Measurement>[],
  log: (line: string) => void,
): ResultRow[] {
  const nodeName = `baseline.node-http[${name}]`;
  const expressName = `baseline.express[${name}]`;
  const scenarioRatios = rounds.map((r) => ratioOf(compare, r.scenario, r.express));
  const expressRatios = rounds.map((r) => ratioOf(compare, r.express, r.node));
  if (rounds.length > 1) log(`${name}: ratio in each round ${scenarioRatios.map((r) => r.toFixed(3)).join(', ')}`);
  return [
    row(nodeName, combined(rounds.map((r) => r.node))),
    row(expressName, combined(rounds.map((r) => r.express)), { name: nodeName, ratio: median(expressRatios) }),
    row(name, combined(rounds.map((r) => r.scenario)), { name: expressName, ratio: median(scenarioRatios) }),
  ];
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
      let rounds: Trio<Measurement>[];
      if ('target' in outcome) {
        rounds = await measureInRounds(outcome.target, outcome.baseline, outcome.load, outcome.rounds);
      } else if (outcome.reference) {
        const { reference, measurement, alongside = [] } = outcome;
        const ratio = outcome.ratio ?? ratioOf(outcome.compare, measurement, reference.measurement);
        rows.push(
          row(reference.name, reference.measurement),
          row(scenario.name, measurement, { name: reference.name, ratio }),
        );
        rows.push(...alongside.map((other) => row(other.name, other.measurement)));
        const errors = [measurement, ...alongside.map((other) => other.measurement)].reduce(
          (sum, m) => sum + m.errors,
          0,
        );
        if (errors > 0) failures.push(`${scenario.name}: ${errors} errors`);
        continue;
      } else if (outcome.baseline) {
        const node = await measureBaseline('node-http', outcome.baseline, outcome.load);
        const express = await measureBaseline('express', outcome.baseline, outcome.load);
        rounds = [{ scenario: outcome.measurement, express, node }];
      } else {
        rows.push(row(scenario.name, outcome.measurement));
        if (outcome.measurement.errors > 0) failures.push(`${scenario.name}: ${outcome.measurement.errors} errors`);
        continue;
      }
      const errors = rounds.reduce((sum, r) => sum + r.scenario.errors, 0);
      if (errors > 0) failures.push(`${scenario.name}: ${errors} errors`);
      rows.push(...comparedRows(scenario.name, outcome.compare, rounds, context.log));
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
