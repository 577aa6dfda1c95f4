import { http, metricValue } from '@foodflow/platform/testing';

/** One process's memory as its `/metrics` tells it (prom-client's default process and heap metrics). */
export interface MemorySample {
  atS: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export async function sampleMemory(baseUrl: string, atS: number): Promise<MemorySample> {
  const res = await http<string>('GET', `${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`metrics of ${baseUrl}: ${res.status}`);
  const heapUsedBytes = metricValue(res.body, 'nodejs_heap_size_used_bytes');
  const rssBytes = metricValue(res.body, 'process_resident_memory_bytes');
  if (heapUsedBytes === 0 || rssBytes === 0) throw new Error(`metrics of ${baseUrl}: no process memory metrics`);
  return { atS, rssBytes, heapUsedBytes };
}

/**
 * How much a figure may grow from just after warm-up to the end before it counts as a leak: both more
 * than `share` of where it started and more than `bytes`, so neither a small process's few megabytes
 * nor a large one's ordinary swing is taken for one.
 */
interface GrowthLimit {
  share: number;
  bytes: number;
}

const HEAP_LIMIT: GrowthLimit = { share: 0.25, bytes: 16 * 2 ** 20 };
const RSS_LIMIT: GrowthLimit = { share: 0.5, bytes: 64 * 2 ** 20 };

export interface MemoryVerdict {
  process: string;
  /** The lowest sample of each figure in the window after warm-up and in the last window. */
  start: Omit<MemorySample, 'atS'>;
  end: Omit<MemorySample, 'atS'>;
  problems: string[];
}

export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * The heap between two collections is its live data plus garbage not yet collected, so single samples
 * swing by tens of megabytes; the lowest of a window's samples is the nearest to what stays alive.
 * Compares the window just after warm-up with the last one.
 */
export function judgeMemory(process: string, samples: MemorySample[], warmupS: number, windowS: number): MemoryVerdict {
  const lastAtS = Math.max(...samples.map((s) => s.atS));
  const floor = (from: number, to: number) => {
    const inside = samples.filter((s) => s.atS >= from && s.atS <= to);
    return {
      rssBytes: Math.min(...inside.map((s) => s.rssBytes)),
      heapUsedBytes: Math.min(...inside.map((s) => s.heapUsedBytes)),
    };
  };
  const start = floor(warmupS, warmupS + windowS);
  const end = floor(lastAtS - windowS, lastAtS);
  const problems: string[] = [];
  if (!Number.isFinite(start.heapUsedBytes) || !Number.isFinite(end.heapUsedBytes)) {
    problems.push(`${process}: too few memory samples to compare`);
  } else {
    for (const [figure, limit, key] of [
      ['heap', HEAP_LIMIT, 'heapUsedBytes'],
      ['RSS', RSS_LIMIT, 'rssBytes'],
    ] as const) {
      const growth = end[key] - start[key];
      if (growth > limit.bytes && growth > start[key] * limit.share) {
        problems.push(`${process}: ${figure} grew from ${mib(start[key])} to ${mib(end[key])} after warm-up`);
      }
    }
  }
  return { process, start, end, problems };
}
