/**
 * The metric names a PromQL expression reads. Not a full parser: it removes what cannot be a metric
 * name (string literals, label matchers, ranges, grouping label lists) and keeps every identifier
 * that is not a function, an aggregation or a keyword.
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
  'atan2',
]);

export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*/g)) {
    const name = match[0];
    const rest = stripped.slice((match.index ?? 0) + name.length);
    if (KEYWORDS.has(name.toLowerCase()) || /^\s*\(/.test(rest)) continue;
    names.add(name);
  }
  return [...names];
}

/** The metric a Grafana template variable query such as `label_values(metric, label)` reads, if any. */
export function metricOfVariableQuery(query: string): string | undefined {
  return /^\s*label_values\(\s*([a-zA-Z_:][\w:]*)\s*,/.exec(query)?.[1];
}

/** Grafana's built-in variables replaced by values Prometheus accepts, so promtool can parse the query. */
export function withGrafanaVariablesResolved(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replace(/\$\{?(\w+)\}?/g, '.*');
}
