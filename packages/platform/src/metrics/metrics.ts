import type { Request, RequestHandler, Response } from 'express';
import { totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import client from 'prom-client';

export interface Metrics {
  registry: client.Registry;
  /** Times a request from now until its response finishes, by method, route template and status code. */
  timeRequest(req: Request, res: Response): void;
  /** `GET /metrics` in the Prometheus text format. */
  handler: RequestHandler;
  counter<L extends string>(config: Omit<client.CounterConfiguration<L>, 'registers'>): client.Counter<L>;
  histogram<L extends string>(config: Omit<client.HistogramConfiguration<L>, 'registers'>): client.Histogram<L>;
  gauge<L extends string>(config: Omit<client.GaugeConfiguration<L>, 'registers'>): client.Gauge<L>;
}

/**
 * The route template a request matched (`/api/orders/:id`), never the raw path, so one series exists
 * per endpoint rather than per id. Requests that matched no route share the label `unmatched`.
 */
export function routeTemplate(req: Request): string {
  const routePath: unknown = req.route?.path;
  if (typeof routePath !== 'string') return 'unmatched';
  return `${req.baseUrl}${routePath}` || '/';
}

/** Without a cgroup limit, Node reports one no machine has (2^64 - 1); the machine's memory bounds it then. */
const memoryLimitBytes = (): number => {
  const constrained = process.constrainedMemory();
  return constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
};

/** One registry per service (not the global one), so tests can build several apps in one process. */
export function createMetrics(service: string): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service });
  client.collectDefaultMetrics({ register: registry });
  new client.Gauge({
    name: 'process_memory_limit_bytes',
    help: 'Memory the process may use: its cgroup (container) limit, else the memory of the machine',
    registers: [registry],
    collect() {
      this.set(memoryLimitBytes());
    },
  });

  const duration = new client.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  // One child per label set, found under a plain string key, so timing a request builds no label object
  // and no timer closures; the set is bounded like the series themselves (method × status × route template).
  type Child = ReturnType<typeof duration.labels>;
  const children = new Map<string, Child>();
  const childFor = (method: string, route: string, status: number): Child => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (child === undefined) {
      child = duration.labels({ method, route, status_code: String(status) });
      children.set(key, child);
    }
    return child;
  };

  const timeRequest = (req: Request, res: Response): void => {
    const start = performance.now();
    res.on('finish', () => {
      childFor(req.method, routeTemplate(req), res.statusCode).observe((performance.now() - start) / 1000);
    });
  };

  const handler = async (_req: Request, res: Response): Promise<void> => {
    res.set('Content-Type', registry.contentType);
    res.send(await registry.metrics());
  };

  return {
    registry,
    timeRequest,
    handler,
    counter: (config) => new client.Counter({ ...config, registers: [registry] }),
    histogram: (config) => new client.Histogram({ ...config, registers: [registry] }),
    gauge: (config) => new client.Gauge({ ...config, registers: [registry] }),
  };
}
