import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * monitoring/prometheus/prometheus.yml for processes on loopback, for `npm run prometheus` and the
 * whole-stack observability test: the same jobs, rule files and metric paths; each Compose DNS name
 * becomes the local address of its service, with the `instance` label the Compose relabelling gives
 * (`<name>@<address>`). Jobs for software that does not run locally (Kong, RabbitMQ's Prometheus
 * plugin) are left out; `dropped` names them.
 */

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[]; labels?: Record<string, string> }[];
  dns_sd_configs?: { names: string[]; port: number }[];
  relabel_configs?: unknown[];
  [key: string]: unknown;
}
export interface PrometheusConfig {
  global: Record<string, unknown>;
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}

export interface LocalTargets {
  /** Where Prometheus itself listens (it scrapes itself, as in Compose). */
  self: string;
  /** The address a Compose service name stands for here, e.g. `user-service` → `127.0.0.1:3001`. */
  services: Record<string, string>;
  /** Seconds between scrapes and rule evaluations; Compose's own when not given. */
  intervalSeconds?: number;
}

export const COMPOSE_PROMETHEUS_CONFIG = 'monitoring/prometheus/prometheus.yml';

export function localPrometheusConfig(
  root: string,
  { self, services, intervalSeconds }: LocalTargets,
): { config: PrometheusConfig; dropped: string[] } {
  const compose = parse(readFileSync(join(root, COMPOSE_PROMETHEUS_CONFIG), 'utf8')) as PrometheusConfig;
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
            if (!address) throw new Error(`${COMPOSE_PROMETHEUS_CONFIG}: no local address for ${name}`);
            return { targets: [address], labels: { instance: `${name}@${address}` } };
          }),
        ),
      },
    ];
  });
  const interval = intervalSeconds && `${intervalSeconds}s`;
  return {
    config: {
      ...compose,
      global: interval
        ? { ...compose.global, scrape_interval: interval, evaluation_interval: interval }
        : compose.global,
      rule_files: compose.rule_files.map((file) => join(root, 'monitoring/prometheus', file)),
      scrape_configs: scrapeConfigs,
    },
    dropped,
  };
}

/** The command line of Debian's `prometheus` for a configuration file, a storage folder and an address. */
export const prometheusArgs = (configFile: string, dataDir: string, address: string): string[] => [
  `--config.file=${configFile}`,
  `--storage.tsdb.path=${dataDir}`,
  `--web.listen-address=${address}`,
];
