import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { Load, Measurement, SampledResponse, Target } from './types.js';

/** Gives up on a request after this long and counts it as an error, as autocannon does. */
const REQUEST_TIMEOUT_MS = 10_000;

type Figures = Omit<Measurement, 'cpu'>;

/** Closed loop: every connection sends its next request as soon as the previous one is answered. */
async function asFastAsPossible(target: Target, load: Load, durationS: number): Promise<Figures> {
  const next = target.next;
  const result = await autocannon({
    url: target.baseUrl,
    connections: load.connections,
    duration: durationS,
    timeout: REQUEST_TIMEOUT_MS / 1000,
    requests: [
      {
        method: target.method ?? 'GET',
        path: target.path,
        ...(target.headers ? { headers: target.headers } : {}),
        ...(target.body ? { body: target.body } : {}),
        ...(next
          ? {
              setupRequest: (req: autocannon.Request) => {
                const varied = next();
                return { ...req, ...varied, headers: { ...req.headers, ...varied.headers } };
              },
            }
          : {}),
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** The value below which `share` of the sorted values lie (nearest rank). */
function percentile(sorted: Float64Array, share: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] as number;
}

/**
 * Open loop at a fixed rate: request i is due at start + i / rate, and leaves then whether or not earlier
 * ones were answered (queued only while all `connections` are busy). Its latency counts from when it was
 * due, so a server that stalls is charged for every request that waited behind the stall, as users would
 * feel it. (autocannon's rate option is a per-second quota per connection instead: each connection sends
 * back to back until its quota is used up, so the whole second's requests arrive in a burst.)
 */
async function atFixedRate(target: Target, load: Load, rate: number, durationS: number): Promise<Figures> {
  const agent = new Agent({ keepAlive: true, maxSockets: load.connections });
  const url = new URL(target.baseUrl);
  const total = Math.max(1, Math.round(rate * durationS));
  const intervalMs = 1000 / rate;
  const latencies = new Float64Array(total);
  let answered = 0;
  let errors = 0;
  let settled = 0;
  let lastAnswerAt = 0;
  const start = performance.now() + 5;

  await new Promise<void>((resolve) => {
    const settle = (): void => {
      settled += 1;
      if (settled === total) resolve();
    };
    const send = (dueAt: number): void => {
      const varied = target.next?.();
      const body = varied?.body ?? target.body;
      const headers: Record<string, string> = { ...target.headers, ...varied?.headers };
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: target.method ?? 'GET',
          path: varied?.path ?? target.path,
          headers,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          res.resume();
          res.once('end', () => {
            const now = performance.now();
            if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
              latencies[answered] = now - dueAt;
              answered += 1;
              lastAnswerAt = now;
            } else {
              errors += 1;
            }
            settle();
          });
          res.once('error', () => {
            errors += 1;
            settle();
          });
        },
      );
      req.once('timeout', () => req.destroy(new Error('timed out')));
      req.once('error', () => {
        errors += 1;
        settle();
      });
      req.end(body);
    };
    let sent = 0;
    const tick = (): void => {
      const now = performance.now();
      // Catch up on every request that is due, even if this timer fired late.
      while (sent < total && start + sent * intervalMs <= now) {
        send(start + sent * intervalMs);
        sent += 1;
      }
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    setTimeout(tick, 5);
  });
  agent.destroy();

  const sorted = latencies.subarray(0, answered).sort();
  return {
    rps: answered / ((lastAnswerAt - start) / 1000 || durationS),
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    errors,
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ), 100 on every mainstream Linux build. */
const USER_HZ = 100;

/**
 * CPU time a process has used so far, all its threads together (garbage collection and the thread pool
 * included), in seconds; Linux only.
 */
function processCpuS(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

const run = (target: Target, load: Load, durationS: number): Promise<Figures> =>
  load.rate ? atFixedRate(target, load, load.rate, durationS) : asFastAsPossible(target, load, durationS);

/**
 * Warms the target up (JIT, pools, caches), then measures it; latencies in milliseconds. The load generator
 * runs on this process's event loop, with nothing else to do meanwhile, so this process's CPU time is its.
 */
export async function measure(target: Target, load: Load): Promise<Measurement> {
  if (load.warmupS > 0) await run(target, load, load.warmupS);
  const serverBefore = target.pid === undefined ? undefined : processCpuS(target.pid);
  const loadBefore = process.cpuUsage();
  const startedAt = performance.now();
  const figures = await run(target, load, load.durationS);
  const elapsedS = (performance.now() - startedAt) / 1000;
  const loadUsage = process.cpuUsage(loadBefore);
  const serverAfter = target.pid === undefined ? undefined : processCpuS(target.pid);
  const round = (cores: number): number => Math.round(cores * 100) / 100;
  return {
    ...figures,
    cpu: {
      load: round((loadUsage.user + loadUsage.system) / 1e6 / elapsedS),
      ...(serverBefore !== undefined && serverAfter !== undefined
        ? { server: round((serverAfter - serverBefore) / elapsedS) }
        : {}),
    },
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2;
}

/** Rounds' measurements as one: the median of each figure, errors added up. */
export function combined(measurements: Measurement[]): Measurement {
  const servers = measurements.map((m) => m.cpu?.server).filter((cpu): cpu is number => cpu !== undefined);
  return {
    rps: median(measurements.map((m) => m.rps)),
    p50Ms: median(measurements.map((m) => m.p50Ms)),
    p99Ms: median(measurements.map((m) => m.p99Ms)),
    errors: measurements.reduce((sum, m) => sum + m.errors, 0),
    cpu: {
      load: median(measurements.map((m) => m.cpu?.load ?? 0)),
      ...(servers.length > 0 ? { server: median(servers) } : {}),
    },
  };
}

/** Headers that describe one connection or one moment rather than the response; Node sets its own. */
const NOT_REPLAYED = new Set(['connection', 'keep-alive', 'date', 'content-length', 'transfer-encoding']);

/**
 * The exact response `path` answers with (content type, bytes and the other headers), for baselines to
 * send the same.
 */
export async function sample(baseUrl: string, path: string): Promise<SampledResponse> {
  const response = await fetch(`${baseUrl}${path}`);
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!NOT_REPLAYED.has(name)) headers[name] = value;
  });
  return {
    contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    body: Buffer.from(await response.arrayBuffer()),
    headers,
  };
}
