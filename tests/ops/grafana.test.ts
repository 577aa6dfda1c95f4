import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { metricNamesIn, metricOfVariableQuery, withGrafanaVariablesResolved } from './lib/promql.js';
import { metricDefinitionsIn, scrapableMetricNames } from './lib/registered-metrics.js';
import { commandExists, readText, readYaml, repoPath, runCommand } from './lib/repo.js';

/**
 * monitoring/grafana: provisioning files and dashboards. Grafana cannot run here, so the dashboards
 * are checked the way Grafana would fail on them: JSON that does not parse, a data source uid that
 * is not provisioned, a query Prometheus would reject, a metric no Food Flow process exports.
 */
interface DataSourceRef {
  type?: string;
  uid?: string;
}
interface Target {
  refId: string;
  datasource?: DataSourceRef;
  expr?: string;
  query?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DataSourceRef;
  targets?: Target[];
  panels?: Panel[];
  gridPos: { h: number; w: number; x: number; y: number };
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: { name: string; datasource?: DataSourceRef; query: string | { query: string } }[] };
}
interface ProvisionedDataSource {
  name: string;
  uid: string;
  type: string;
  url: string;
}

const DASHBOARD_DIR = 'monitoring/grafana/dashboards';
const dashboardFiles = readdirSync(repoPath(DASHBOARD_DIR)).filter((f) => f.endsWith('.json'));
const dashboards = dashboardFiles.map((file) => ({
  file,
  dashboard: JSON.parse(readText(`${DASHBOARD_DIR}/${file}`)) as Dashboard,
}));
const dataSources = readdirSync(repoPath('monitoring/grafana/provisioning/datasources')).flatMap(
  (file) =>
    readYaml<{ datasources: ProvisionedDataSource[] }>(`monitoring/grafana/provisioning/datasources/${file}`)
      .datasources,
);

const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const prometheusQueries = (dashboard: Dashboard): { where: string; expr: string }[] =>
  allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((t): t is Target & { expr: string } => typeof t.expr === 'string')
      .map((t) => ({ where: `${dashboard.uid} / ${panel.title} / ${t.refId}`, expr: t.expr })),
  );
const variableQuery = (query: string | { query: string }): string => (typeof query === 'string' ? query : query.query);

describe('PromQL metric-name extraction', () => {
  it('when an expression aggregates, groups and filters, then only its metric names come out', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (service, le) (rate(http_request_duration_seconds_bucket{route!~"/metrics|up"}[5m])))' +
          ' / on (service) group_left sum without (by) (a_total offset 10m) > bool 0.5 unless ignoring (x) b:c_ratio * 1e3',
      ).sort(),
    ).toEqual(['a_total', 'b:c_ratio', 'http_request_duration_seconds_bucket']);
  });

  it('when a dashboard query names a metric nobody exports, then it is reported as unknown', async () => {
    const known = await scrapableMetricNames();
    const names = metricNamesIn('sum(rate(orders_createdd_total[$__rate_interval])) / sum(up)');
    expect(names.filter((n) => !known.has(n))).toEqual(['orders_createdd_total']);
  });

  it('when metrics are defined in source, then names come from object literals and from helper calls', () => {
    const source = `
      metrics.counter({ help: 'Cache lookups (hit, miss)', name: 'cache_lookups_total', labelNames: ['kind'] });
      const h = metrics.histogram<'route'>({ name: 'x_seconds', help: 'x', collect() { this.observe(1); } });
      gauge('pool_waiting', 'Waiting (queries)', (p) => p.waitingCount);
      const CONSUMED = 'events_consumed_total';
      metrics.counter({ name: CONSUMED, help: 'Events' });
      health.push({ name: 'postgres', check: () => db.check() });
      const counter = (label: string) => label.length;`;
    expect(metricDefinitionsIn(source, 'f.ts').map(({ name, type }) => `${type}:${name}`)).toEqual([
      'counter:cache_lookups_total',
      'histogram:x_seconds',
      'gauge:pool_waiting',
      'counter:events_consumed_total',
    ]);
  });

  it('when a template variable lists label values, then its metric is found', () => {
    expect(metricOfVariableQuery('label_values(http_request_duration_seconds_count, service)')).toBe(
      'http_request_duration_seconds_count',
    );
  });
});

describe('Grafana provisioning', () => {
  it('when data sources are provisioned, then Prometheus and the Elasticsearch logs have fixed uids and Compose URLs', () => {
    const byUid = new Map(dataSources.map((d) => [d.uid, d]));
    expect(byUid.get('prometheus')).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
    expect(byUid.get('elasticsearch-logs')).toMatchObject({ type: 'elasticsearch', url: 'http://elasticsearch:9200' });
    expect(new Set(dataSources.map((d) => d.uid)).size).toBe(dataSources.length);
  });

  it('when the dashboard provider is read, then it loads the folder Compose mounts the dashboards into', () => {
    const provider = readYaml<{ providers: { type: string; options: { path: string } }[] }>(
      'monitoring/grafana/provisioning/dashboards/dashboards.yml',
    ).providers[0];
    const compose = readYaml<{ services: Record<string, { volumes: string[] }> }>('docker-compose.yml');
    expect(provider?.type).toBe('file');
    expect(compose.services['grafana']?.volumes).toContain(`./${DASHBOARD_DIR}:${provider?.options.path}:ro`);
  });
});

describe('dashboards', () => {
  it('when the folder is read, then the overview and the business dashboards are there with unique uids', () => {
    const uids = dashboards.map((d) => d.dashboard.uid);
    expect(uids).toEqual(expect.arrayContaining(['foodflow-overview', 'foodflow-business']));
    expect(new Set(uids).size).toBe(uids.length);
  });

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))(
    'when %s is read, then every panel and query uses a provisioned data source',
    (_file, dashboard) => {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
      const provisioned = new Set(dataSources.map((d) => d.uid));
      const refs = allPanels(dashboard.panels)
        .filter((p) => p.type !== 'row')
        .flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]);
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) expect(provisioned, JSON.stringify(ref)).toContain(ref?.uid);
      for (const variable of dashboard.templating?.list ?? []) expect(provisioned).toContain(variable.datasource?.uid);
    },
  );

  it.each(dashboards.map((d) => [d.file, d.dashboard] as const))(
    'when %s is laid out, then panels have unique ids and fit the 24-column grid',
    (_file, dashboard) => {
      const panels = allPanels(dashboard.panels);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const { gridPos, title } of panels) expect(gridPos.x + gridPos.w, title).toBeLessThanOrEqual(24);
    },
  );

  it('when the overview is read, then it shows traffic, errors, latency percentiles, pools, event flow and outbox lag', () => {
    const overview = dashboards.find((d) => d.dashboard.uid === 'foodflow-overview')!.dashboard;
    const exprs = prometheusQueries(overview).map((q) => q.expr);
    for (const needle of [
      'http_request_duration_seconds_count',
      'status_code=~"5.."',
      'histogram_quantile(0.5,',
      'histogram_quantile(0.95,',
      'histogram_quantile(0.99,',
      'db_pool_requests_waiting',
      'events_published_total',
      'events_consumed_total',
      'outcome="dead_lettered"',
      'outbox_publish_lag_seconds_bucket',
    ]) {
      expect(
        exprs.some((e) => e.includes(needle)),
        needle,
      ).toBe(true);
    }
    expect(
      allPanels(overview.panels).some((p) => p.type === 'logs' && p.datasource?.uid === 'elasticsearch-logs'),
    ).toBe(true);
  });

  it('when the business dashboard is read, then it follows orders, money, deliveries and live tracking', () => {
    const business = dashboards.find((d) => d.dashboard.uid === 'foodflow-business')!.dashboard;
    const names = new Set(prometheusQueries(business).flatMap((q) => metricNamesIn(q.expr)));
    // Each business metric the services define must be on the dashboard.
    for (const pattern of [
      /^orders_created/,
      /^order_value/,
      /^order_status_changes/,
      /^deliveries_completed/,
      /assign/,
      /duration/,
      /socket/,
      /registrations/,
      /logins/,
    ]) {
      expect(
        [...names].some((n) => pattern.test(n)),
        String(pattern),
      ).toBe(true);
    }
  });

  it('when every dashboard query is read, then each metric it uses is one a Food Flow process or scraped component exports', async () => {
    const known = await scrapableMetricNames();
    const unknown = dashboards.flatMap(({ dashboard }) => [
      ...prometheusQueries(dashboard).flatMap(({ where, expr }) =>
        metricNamesIn(expr)
          .filter((name) => !known.has(name))
          .map((name) => `${where}: ${name}`),
      ),
      ...(dashboard.templating?.list ?? []).flatMap((v) => {
        const metric = metricOfVariableQuery(variableQuery(v.query));
        return metric && !known.has(metric) ? [`${dashboard.uid} / $${v.name}: ${metric}`] : [];
      }),
    ]);
    expect(unknown).toEqual([]);
  });

  it.skipIf(!commandExists('promtool'))(
    'when every dashboard query is given to promtool, then Prometheus can parse it',
    () => {
      const rules = dashboards.flatMap(({ dashboard }) =>
        prometheusQueries(dashboard).map(({ expr }, i) => ({
          record: `dashboard:${dashboard.uid.replace(/\W/g, '_')}:${i}`,
          expr: withGrafanaVariablesResolved(expr),
        })),
      );
      const dir = mkdtempSync(join(tmpdir(), 'foodflow-dashboards-'));
      try {
        const file = join(dir, 'queries.yml');
        writeFileSync(file, stringify({ groups: [{ name: 'dashboard-queries', rules }] }));
        const { status, output } = runCommand('promtool', ['check', 'rules', '--lint=none', file]);
        expect(status, output).toBe(0);
        expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
