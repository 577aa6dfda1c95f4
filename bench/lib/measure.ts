import autocannon from 'autocannon';
import type { Load, Measurement, Target } from './types.js';

function run(target: Target, load: Load, durationS: number): Promise<autocannon.Result> {
  const next = target.next;
  return autocannon({
    url: target.baseUrl,
    connections: load.connections,
    duration: durationS,
    ...(load.rate ? { overallRate: load.rate } : {}),
    requests: [
      {
        method: target.method ?? 'GET',
        path: target.path,
        ...(target.headers ? { headers: target.headers } : {}),
        ...(target.body ? { body: target.body } : {}),
        ...(next ? { setupRequest: (request: autocannon.Request) => ({ ...request, ...next() }) } : {}),
      },
    ],
  });
}

/** Warms the target up (JIT, pools, caches), then measures it; latencies in milliseconds. */
export async function measure(target: Target, load: Load): Promise<Measurement> {
  if (load.warmupS > 0) await run(target, load, load.warmupS);
  const result = await run(target, load, load.durationS);
  return {
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

/** The status, content type and exact bytes `path` answers with, for baselines to send the same. */
export async function sample(baseUrl: string, path: string): Promise<{ contentType: string; body: Buffer }> {
  const response = await fetch(`${baseUrl}${path}`);
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return {
    contentType: response.headers.get('content-type') ?? 'application/octet-stream',
    body: Buffer.from(await response.arrayBuffer()),
  };
}
