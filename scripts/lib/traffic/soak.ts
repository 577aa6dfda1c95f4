import { setTimeout as sleep } from 'node:timers/promises';
import { CITY } from './journey.js';
import { GatewayClient } from './client.js';
import { judgeMemory, type MemorySample, type MemoryVerdict, sampleMemory } from './memory.js';
import { DEFAULTS, type Progress, Simulation, type SimulationOptions, type SimulationReport } from './simulation.js';

/**
 * The soak: the simulator's orders for a while, with public reads beside them, through the gateway,
 * watching every process's memory. It passes with no error at all and no process's memory growing
 * past its limit (`memory.ts`) from just after warm-up to the end.
 */

export interface SoakOptions {
  gatewayUrl: string;
  /** Each process of the stack by name, at the base URL that serves its `/metrics`. */
  processes: Record<string, string>;
  minutes: number;
  rate: number;
  /** Public reads (restaurant lists, a restaurant, its menu) per second beside the orders. */
  readsPerS: number;
  /** Memory is sampled this often; the first `warmupS` are not judged; windows of `windowS` are compared. */
  sampleEveryS: number;
  warmupS: number;
  windowS: number;
  simulation: Pick<SimulationOptions, 'legSteps' | 'stepMs' | 'kitchenMs' | 'drainS' | 'cast'>;
  onProgress?: (progress: Progress & { reads: number; readErrors: number }) => void;
}

export interface SoakReport {
  simulation: SimulationReport;
  reads: number;
  readErrors: number;
  /** Every error of the run: failed steps of the simulation, orders unfinished at the end, failed reads and memory samples. */
  errors: number;
  memory: (MemoryVerdict & { first: MemorySample | undefined; last: MemorySample | undefined })[];
  problems: string[];
  passed: boolean;
}

/** Warm-up and windows for a soak of `minutes`: a fifth of the run warms up (at most a minute). */
export function soakTiming(minutes: number): Pick<SoakOptions, 'sampleEveryS' | 'warmupS' | 'windowS'> {
  const totalS = minutes * 60;
  return {
    warmupS: Math.min(60, totalS / 5),
    windowS: Math.min(60, totalS / 5),
    sampleEveryS: Math.min(10, Math.max(1, totalS / 30)),
  };
}

export async function soak(options: SoakOptions): Promise<SoakReport> {
  const startedAt = Date.now();
  const elapsedS = (): number => (Date.now() - startedAt) / 1000;
  const reading = new AbortController();
  const samples = new Map<string, MemorySample[]>(Object.keys(options.processes).map((name) => [name, []]));
  let sampleErrors = 0;
  const sampleAll = async (): Promise<void> => {
    await Promise.all(
      Object.entries(options.processes).map(async ([name, url]) => {
        try {
          samples.get(name)?.push(await sampleMemory(url, elapsedS()));
        } catch {
          sampleErrors += 1;
        }
      }),
    );
  };

  const reader = new GatewayClient(options.gatewayUrl, reading.signal);
  let reads = 0;
  let readErrors = 0;
  const simulation = new Simulation({
    ...DEFAULTS,
    ...options.simulation,
    gatewayUrl: options.gatewayUrl,
    rate: options.rate,
    orders: Math.ceil(options.rate * options.minutes * 60),
    minutes: options.minutes,
    onProgress: (p) => options.onProgress?.({ ...p, reads, readErrors }),
  });

  /** Public reads at a fixed pace, as people browsing would: a list near them, a restaurant, its menu. */
  const browse = async (): Promise<void> => {
    let restaurantIds: string[] = [];
    for (let n = 0; !reading.signal.aborted; n++) {
      const path =
        n % 3 === 0 || restaurantIds.length === 0
          ? `/api/restaurants?near=${CITY.lat},${CITY.lng}&radiusKm=10&sort=${['distance', 'rating', 'popular'][n % 3]}`
          : `/api/restaurants/${restaurantIds[n % restaurantIds.length]}${n % 3 === 2 ? '/menu' : ''}`;
      try {
        const res = await reader.send('GET', path);
        reads += 1;
        if (res.status !== 200) readErrors += 1;
        else if (path.includes('?')) restaurantIds = (res.body.data as { id: string }[]).map((r) => r.id);
      } catch {
        readErrors += 1;
      }
      await sleep(1000 / options.readsPerS, undefined, { signal: reading.signal }).catch(() => undefined);
    }
  };

  const sampler = (async () => {
    while (!reading.signal.aborted) {
      await sampleAll();
      await sleep(options.sampleEveryS * 1000, undefined, { signal: reading.signal }).catch(() => undefined);
    }
  })();
  const browsing = browse();
  const report = await simulation.run();
  reading.abort();
  await Promise.all([sampler, browsing]);
  await sampleAll();

  const memory = [...samples].map(([name, series]) => ({
    ...judgeMemory(name, series, options.warmupS, options.windowS),
    first: series[0],
    last: series.at(-1),
  }));
  const errors = report.failed + report.unfinished + readErrors + sampleErrors;
  const problems = [
    ...(errors > 0
      ? [
          `${errors} errors: ${report.failed} simulation steps failed, ${report.unfinished} orders unfinished, ` +
            `${readErrors} reads failed, ${sampleErrors} memory samples failed`,
        ]
      : []),
    ...memory.flatMap((m) => m.problems),
  ];
  return { simulation: report, reads, readErrors, errors, memory, problems, passed: problems.length === 0 };
}
