import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventually } from '@foodflow/platform/testing';
import { freePort } from '../edge/nginx.js';
import { type LocalTargets, localPrometheusConfig, prometheusArgs } from '../../scripts/lib/prometheus.js';
import { ROOT } from '../ops/lib/repo.js';

/**
 * Debian's real Prometheus (installed by `npm test` with promtool) started on a free loopback port
 * with a configuration derived from the Compose one, and its own throw-away storage.
 */

export interface InstantSample {
  metric: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  url: string;
  /** An instant query through the HTTP API; a query Prometheus refuses throws with its error. */
  query: (expr: string) => Promise<InstantSample[]>;
  logs: () => string;
  stop: () => Promise<void>;
}

export async function startPrometheus(
  targets: Omit<LocalTargets, 'self'>,
): Promise<RunningPrometheus & { dropped: string[] }> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'foodflow-prometheus-'));
  const { config, dropped } = localPrometheusConfig(ROOT, { ...targets, self: address });
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));

  const output: string[] = [];
  const child: ChildProcess = spawn(
    'prometheus',
    [...prometheusArgs(configFile, join(dir, 'data'), address), '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => output.push(chunk));
  }
  // Not installed: `npm test` installs Debian's package (scripts/lib/test-tools.ts).
  child.once('error', (err) => output.push(`prometheus could not start: ${err.message}`));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://${address}`;
  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await eventually(async () => {
      if (child.exitCode !== null || child.pid === undefined) throw new Error(`prometheus exited: ${output.join('')}`);
      const res = await fetch(`${url}/-/ready`);
      return res.ok ? true : undefined;
    }, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }

  const query = async (expr: string): Promise<InstantSample[]> => {
    const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success' || body.data?.resultType !== 'vector') {
      throw new Error(`${expr}: ${body.error ?? `a ${body.data?.resultType} answer`}`);
    }
    return body.data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
  };

  return { url, query, logs: () => output.join(''), stop, dropped };
}
