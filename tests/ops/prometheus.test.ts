import { describe, expect, it } from 'vitest';
import { metricNamesIn } from './lib/promql.js';
import { scrapableMetricNames } from './lib/registered-metrics.js';
import { commandExists, readText, readYaml, runCommand } from './lib/repo.js';

/**
 * monitoring/prometheus: Prometheus' own checker validates the configuration and the alert rules and
 * runs the rules' unit tests; the rest checks that the rules are complete and read real metrics.
 */
const hasPromtool = commandExists('promtool');
const skipReason = 'promtool is not installed (npm test installs Debian package "prometheus")';

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}
interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: { targets: string[] }[];
  dns_sd_configs?: { names: string[]; type: string; port: number }[];
}

const alerts = readYaml<RuleFile>('monitoring/prometheus/alerts.yml')
  .groups.flatMap((group) => group.rules)
  .filter((rule): rule is AlertRule & { alert: string } => typeof rule.alert === 'string');
const ruleTests = readYaml<RuleTests>('monitoring/prometheus/alerts.test.yml');

describe.skipIf(!hasPromtool)(
  `promtool on monitoring/prometheus${hasPromtool ? '' : ` (skipped: ${skipReason})`}`,
  () => {
    it('when the configuration is checked, then promtool accepts it and finds the rule file', () => {
      const { status, output } = runCommand('promtool', ['check', 'config', 'monitoring/prometheus/prometheus.yml']);
      expect(output).toContain('SUCCESS');
      expect(status, output).toBe(0);
    });

    it('when the alert rules are checked, then promtool accepts every rule', () => {
      const { status, output } = runCommand('promtool', ['check', 'rules', 'monitoring/prometheus/alerts.yml']);
      expect(output).toContain(`SUCCESS: ${alerts.length} rules found`);
      expect(status, output).toBe(0);
    });

    it('when the rule unit tests run, then every case passes', () => {
      const { status, output } = runCommand('promtool', ['test', 'rules', 'monitoring/prometheus/alerts.test.yml']);
      expect(status, output).toBe(0);
      expect(output).toContain('SUCCESS');
    });
  },
);

describe('alert rules', () => {
  it('when the rules are read, then there are alerts for every failure the platform watches', () => {
    expect(alerts.map((a) => a.alert).sort()).toEqual(
      expect.arrayContaining([
        'ConnectedSocketsDropped',
        'ConsumerRetriesSpiking',
        'DatabasePoolExhausted',
        'DatabasePoolNearlyFull',
        'EventsDeadLettered',
        'HighCpuUsage',
        'HighLatencyP95',
        'HighMemoryUsage',
        'HighRouteLatencyP99',
        'HighServerErrorRatio',
        'OutboxPublishLagHigh',
        'TargetDown',
      ]),
    );
  });

  // The seed's six rules, each with the threshold it names, over the metric that measures it.
  it.each([
    ['TargetDown', /^up == 0$/, '1m'],
    ['HighServerErrorRatio', /status_code=~"5\.\."[\s\S]*\) > 0\.05\n/, undefined],
    [
      'HighLatencyP95',
      /^histogram_quantile\(0\.95,[\s\S]*http_request_duration_seconds_bucket[\s\S]*\) > 0\.5$/,
      undefined,
    ],
    ['HighCpuUsage', /rate\(process_cpu_seconds_total\{[^}]*\}\[5m\]\)\) > 0\.8$/, undefined],
    [
      'HighMemoryUsage',
      /process_resident_memory_bytes\{[^}]*\} \/ process_memory_limit_bytes\{[^}]*\}\s*\) > 0\.85$/,
      undefined,
    ],
    [
      'DatabasePoolNearlyFull',
      /\(db_pool_connections_total - db_pool_connections_idle\) \/ db_pool_connections_max\s*\) > 0\.8$/,
      undefined,
    ],
  ] as const)('when %s is read, then it has the threshold the seed gives', (name, threshold, wait) => {
    const alert = alerts.find((a) => a.alert === name);
    expect(alert?.expr.trim()).toMatch(threshold);
    if (wait) expect(alert?.for).toBe(wait);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    'when %s is read, then its runbook_url leads to its own section of monitoring/RUNBOOK.md',
    (name, alert) => {
      const [file, anchor] = (alert.annotations?.['runbook_url'] ?? '').split('#');
      expect(file).toBe('monitoring/RUNBOOK.md');
      const headings = readText('monitoring/RUNBOOK.md')
        .split('\n')
        .filter((line) => line.startsWith('## '))
        .map((line) => line.slice(3).trim());
      expect(headings).toContain(name);
      // GitHub's anchor of a heading: lower case, spaces to dashes, punctuation dropped.
      expect(anchor).toBe(name.toLowerCase());
    },
  );

  it.each(alerts.map((a) => [a.alert, a] as const))(
    'when %s is read, then it waits (for), has a severity and explains itself',
    (_name, alert) => {
      expect(alert.for).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning']).toContain(alert.labels?.['severity']);
      expect(alert.annotations?.['summary']?.length ?? 0).toBeGreaterThan(10);
      expect(alert.annotations?.['description']?.length ?? 0).toBeGreaterThan(30);
    },
  );

  it.each(alerts.map((a) => [a.alert] as const))(
    'when the unit tests are read, then %s has a case where it fires and one where it must not',
    (name) => {
      const cases = ruleTests.tests.flatMap((t) => t.alert_rule_test ?? []).filter((c) => c.alertname === name);
      expect(cases.some((c) => (c.exp_alerts ?? []).length > 0)).toBe(true);
      expect(cases.some((c) => (c.exp_alerts ?? []).length === 0)).toBe(true);
    },
  );

  it('when the rule tests are read, then they test the rule file Prometheus loads', () => {
    const config = readYaml<{ rule_files: string[] }>('monitoring/prometheus/prometheus.yml');
    expect(ruleTests.rule_files).toEqual(config.rule_files);
  });

  it('when the rule expressions are read, then every metric they use is one Prometheus scrapes', async () => {
    const known = await scrapableMetricNames();
    const unknown = alerts.flatMap((a) =>
      metricNamesIn(a.expr)
        .filter((name) => !known.has(name))
        .map((n) => `${a.alert}: ${n}`),
    );
    expect(unknown).toEqual([]);
  });
});

describe('scrape configuration', () => {
  const config = readYaml<{ scrape_configs: ScrapeConfig[] }>('monitoring/prometheus/prometheus.yml');
  const targetsOf = (job: string): string[] =>
    config.scrape_configs.find((c) => c.job_name === job)?.static_configs?.flatMap((s) => s.targets) ?? [];

  it('when the jobs are read, then the services, Kong and RabbitMQ are all scraped', () => {
    expect(config.scrape_configs.map((c) => c.job_name)).toEqual(
      expect.arrayContaining(['foodflow-services', 'kong', 'rabbitmq']),
    );
    const services = config.scrape_configs.find((c) => c.job_name === 'foodflow-services');
    expect(services?.dns_sd_configs?.flatMap((d) => d.names)).toHaveLength(4);
  });

  it('when RabbitMQ is scraped, then it is the per-object endpoint the queue panels and alerts need', () => {
    expect(config.scrape_configs.find((c) => c.job_name === 'rabbitmq')?.metrics_path).toBe('/metrics/per-object');
    expect(targetsOf('rabbitmq')).toEqual(['rabbitmq:15692']);
    expect(readText('monitoring/rabbitmq/enabled_plugins')).toMatch(/\brabbitmq_prometheus\b/);
  });
});
