import { createMetrics } from '@foodflow/platform';
import { readText, typeScriptFiles } from './repo.js';

/**
 * The metric names Prometheus can scrape from Food Flow: every metric the services and the platform
 * package define in their sources, with the series names each type exposes, plus prom-client's
 * default process metrics, plus those of the other software Prometheus scrapes.
 */

type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

const SERIES_SUFFIXES: Record<MetricType, string[]> = {
  counter: [''],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** Exported by the other software in the stack, as documented by each (Prometheus, Kong, RabbitMQ). */
export const EXTERNAL_METRICS: Record<string, string[]> = {
  // `up` per target, and `ALERTS` for every pending or firing alert of the loaded rules.
  prometheus: ['up', 'ALERTS'],
  // Kong 3 prometheus plugin, with status_code_metrics and latency_metrics on (gateway/kong.yml).
  kong: [
    'kong_http_requests_total',
    ...['kong_request_latency_ms', 'kong_kong_latency_ms', 'kong_upstream_latency_ms'].flatMap((h) =>
      SERIES_SUFFIXES.histogram.map((s) => h + s),
    ),
  ],
  // rabbitmq_prometheus, /metrics/per-object endpoint.
  rabbitmq: ['rabbitmq_queue_messages_ready', 'rabbitmq_queue_messages_unacked', 'rabbitmq_queue_messages'],
};

const METRIC_NAME = /^[a-zA-Z_:][\w:]*$/;

export interface MetricDefinition {
  name: string;
  type: MetricType;
  file: string;
}

/**
 * Finds metric definitions in TypeScript source: a call to `counter(`, `gauge(`, `histogram(` or
 * `summary(` (a Metrics method, a prom-client constructor or a local helper of that name) whose first
 * argument is the name, or an object literal with a `name` property. A name may be a string literal
 * or a constant declared in the same file (`const CONSUMED = 'events_consumed_total'`).
 */
export function metricDefinitionsIn(source: string, file: string): MetricDefinition[] {
  const constants = new Map(
    [...source.matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*(?::\s*string\s*)?=\s*'([^']*)'/g)].map((m) => [m[1]!, m[2]!]),
  );
  const resolve = (literal: string | undefined, identifier: string | undefined): string | undefined =>
    literal ?? (identifier ? constants.get(identifier) : undefined);
  const found: MetricDefinition[] = [];
  const call = /\b(counter|gauge|histogram|summary)\s*(?:<[^>(]*>)?\s*\(\s*(?:'([^']*)'|([A-Za-z_$][\w$]*)\s*,|\{)/gi;
  for (const match of source.matchAll(call)) {
    const type = match[1]!.toLowerCase() as MetricType;
    const body = match[0].endsWith('{') ? objectLiteralAt(source, (match.index ?? 0) + match[0].length - 1) : '';
    const property = /(?:^|[\s,{])name\s*:\s*(?:'([^']*)'|([A-Za-z_$][\w$]*))/.exec(body);
    const name = body ? resolve(property?.[1], property?.[2]) : resolve(match[2], match[3]);
    if (name && METRIC_NAME.test(name)) found.push({ name, type, file });
  }
  return found;
}

/** The text of the object literal whose `{` is at `start`, skipping braces inside strings. */
function objectLiteralAt(source: string, start: number): string {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < source.length; i += 1) {
    const ch = source[i];
    if (quote) {
      if (ch === '\\') i += 1;
      else if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '{') depth += 1;
    else if (ch === '}' && --depth === 0) return source.slice(start, i + 1);
  }
  return source.slice(start);
}

export function sourceMetricDefinitions(): MetricDefinition[] {
  const files = [...typeScriptFiles('packages/platform/src'), ...typeScriptFiles('services')].filter(
    (file) => file.startsWith('packages/') || /^services\/[^/]+\/src\//.test(file),
  );
  return files.flatMap((file) => metricDefinitionsIn(readText(file), file));
}

/** prom-client's default metrics, read from a real registry as the platform builds it. */
export async function defaultMetricNames(): Promise<string[]> {
  const metrics = await createMetrics('probe').registry.getMetricsAsJSON();
  return metrics.flatMap(({ name, type }) => {
    const kind = String(type) as MetricType;
    return (SERIES_SUFFIXES[kind] ?? ['']).map((suffix) => name + suffix);
  });
}

export async function scrapableMetricNames(): Promise<Set<string>> {
  const fromSource = sourceMetricDefinitions().flatMap(({ name, type }) =>
    SERIES_SUFFIXES[type].map((suffix) => name + suffix),
  );
  return new Set([...fromSource, ...(await defaultMetricNames()), ...Object.values(EXTERNAL_METRICS).flat()]);
}
