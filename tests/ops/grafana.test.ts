import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { allPanels, DASHBOARD_DIR, dashboardByUid, dashboards, prometheusQueries } from './lib/dashboards.js';
import { metricNamesIn, metricOfVariableQuery, withGrafanaVariablesResolved } from './lib/promql.js';
import { metricDefinitionsIn, scrapableMetricNames } from './lib/registered-metrics.js';
import { commandExists, readYaml, repoPath, runCommand } from './lib/repo.js';

/**
 * monitoring/grafana: provisioning files and dashboards. Grafana cannot run here, so the dashboards
 * are checked the way Grafana would fail on them: JSON that does not parse, a data source uid that
 * is not provisioned, a query Prometheus would reject, a metric no Food Flow process exports.
 * `tests/observability/dashboards-live.test.ts` runs every query against a real Prometheus.
 */
interface ProvisionedDataSource {
  name: string;
  uid: string;
  type: string;
  url: string;
}

const dataSources = readdirSync(repoPath('monitoring/grafana/provisioning/datasources')).flatMap(
  (file) =>
    readYaml<{ datasources: ProvisionedDataSource[] }>(`monitoring/grafana/provisioning/datasources/${file}`)
      .datasources,
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
  it('when the folder is read, then the five dashboards the seed names are there with unique uids', () => {
    expect(dashboards.map((d) => d.dashboard.uid).sort()).toEqual([
      'foodflow-business',
      'foodflow-errors',
      'foodflow-overview',
      'foodflow-requests',
      'foodflow-resources',
    ]);
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

  it.each([
    [
      'foodflow-overview',
      'whether every service is up, its errors and latency at a glance, alerts, event flow and recent errors',
      ['up{job="foodflow-services"}', 'ALERTS{alertstate="firing"}', 'status_code=~"5.."', 'histogram_quantile(0.95,'],
      [
        'events_consumed_total',
        'outcome="dead_lettered"',
        'outbox_publish_lag_seconds_bucket',
        'restaurant_cache_lookups_total',
      ],
    ],
    [
      'foodflow-requests',
      'request rates by service and route and their latency percentiles',
      ['sum by (service) (rate(http_request_duration_seconds_count', 'sum by (service, method, route) (rate('],
      ['histogram_quantile(0.5,', 'histogram_quantile(0.95,', 'histogram_quantile(0.99,', 'le="0.25"'],
    ],
    [
      'foodflow-errors',
      'server and client error ratios, failed events and Kong refusals',
      ['status_code=~"5.."', 'status_code=~"4.."', 'sum by (service, status_code)', 'outcome=~"retried|dead_lettered"'],
      ['kong_http_requests_total{code=~"[45].."}'],
    ],
    [
      'foodflow-resources',
      'CPU, memory against its limit, heap, event loop, garbage collection and database pools per instance',
      ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_memory_limit_bytes'],
      ['nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds_sum'],
      ['db_pool_connections_max', 'db_pool_requests_waiting'],
    ],
  ] as const)('when %s is read, then it shows %s', (uid, _what, ...needleGroups) => {
    const exprs = prometheusQueries(dashboardByUid(uid)).map((q) => q.expr);
    for (const needle of needleGroups.flat()) {
      expect(
        exprs.some((e) => e.includes(needle)),
        needle,
      ).toBe(true);
    }
  });

  it("when the overview and error dashboards are read, then each shows the services' error logs from Elasticsearch", () => {
    for (const uid of ['foodflow-overview', 'foodflow-errors']) {
      expect(
        allPanels(dashboardByUid(uid).panels).some(
          (p) => p.type === 'logs' && p.datasource?.uid === 'elasticsearch-logs',
        ),
        uid,
      ).toBe(true);
    }
  });

  it('when the business dashboard is read, then it follows orders per minute, money, registrations, deliveries and live tracking', () => {
    const business = dashboardByUid('foodflow-business');
    const titles = allPanels(business.panels).map((p) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining(['Registrations', 'Orders per minute', 'Average order', 'Delivery completion time']),
    );
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
