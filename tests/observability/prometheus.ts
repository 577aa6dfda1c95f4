import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventually } from '@foodflow/platform/testing';
import { freePort } from '../edge/nginx.js';
import { readYaml, repoPath } from '../ops/lib/repo.js';

/**
 * Debian's real Prometheus (installed by `npm test` with promtool) started on a free loopback port
 * with a configuration derived from the Compose one, and its own throw-away storage.
 */

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  dns_sd_configs?: { names: string[]; port: number }[];
  relabel_configs?: unknown[];
  [key: string]: unknown;
}
interface PrometheusConfig {
  global: Record<string, unknown>;
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}

export interface LocalTargets {
  /** The address a Compose service name stands for here, e.g. `user-service` → `127.0.0.1:41234`. */
  services: Record<string, string>;
  /** Seconds between scrapes and rule evaluations. */
  intervalSeconds: number;
}

const COMPOSE_CONFIG = 'monitoring/prometheus/prometheus.yml';

/**
 * monitoring/prometheus/prometheus.yml for processes on loopback: the same jobs, rule files and
 * metric paths; each Compose DNS name becomes the local address of its service, with the `instance`
 * label the Compose relabelling gives (`<name>@<address>`). Jobs for software that does not run here
 * (Kong, RabbitMQ's Prometheus plugin) are left out; `dropped` names them.
 */
export function localPrometheusConfig(
  self: string,
  { services, intervalSeconds }: LocalTargets,
): { config: PrometheusConfig; dropped: string[] } {
  const compose = readYaml<PrometheusConfig>(COMPOSE_CONFIG);
  const interval = `${intervalSeconds}s`;
  const dropped: string[] = [];
  const scrapeConfigs = compose.scrape_configs.flatMap((job): ScrapeConfig[] => {
    if (job.job_name === 'prometheus') return [{ ...job, static_configs: [{ targets: [self] }] }];
    if (!job.dns_sd_configs) {
      dropped.push(job.job_name);
      return [];
    }
    const { dns_sd_configs: discovered, relabel_configs: _relabelled, ...rest } = job;
    return [
      {
        ...rest,
        static_configs: discovered.flatMap(({ names }) =>
          names.map((name) => {
            const address = services[name];
            if (!address) throw new Error(`${COMPOSE_CONFIG}: no local address for ${name}`);
            return { targets: [address], labels: { instance: `${name}@${address}` } };
          }),
        ),
      },
    ];
  });
  return {
    config: {
      ...compose,
      global: { ...compose.global, scrape_interval: interval, evaluation_interval: interval },
      rule_files: compose.rule_files.map((file) => repoPath('monitoring/prometheus', file)),
      scrape_configs: scrapeConfigs,
    },
    dropped,
  };
}

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

export async function startPrometheus(targets: LocalTargets): Promise<RunningPrometheus & { dropped: string[] }> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'foodflow-prometheus-'));
  const { config, dropped } = localPrometheusConfig(address, targets);
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));

  const output: string[] = [];
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${address}`,
      '--log.level=warn',
    ],
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
