/**
 * The benchmark harness's vocabulary. Every `bench/scenarios/*.ts` module exports `scenarios: Scenario[]`;
 * the runner finds them, runs those whose name matches the command-line filter, measures the baselines
 * each one asks for in the same run, and reports every figure as a ratio against its baseline.
 */

/** One measured figure set. */
export interface Measurement {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers and socket errors; a measurement with errors is reported as failed. */
  errors: number;
  /**
   * CPU time used during the measurement, in cores (1 = one core busy all along): by the server under test
   * (when its process is known) and by the load generator. A load generator near 1 is the bottleneck, and
   * the figure then says more about it than about the server.
   */
  cpu?: { server?: number; load: number };
}

/**
 * How hard to push. Without `rate`: closed loop, each of `connections` sends its next request as soon as
 * its previous one is answered (throughput). With `rate`: open loop, requests leave at evenly spaced
 * instants (`rate` per second in all) over at most `connections` keep-alive connections, whether or not
 * earlier ones were answered, and each latency counts from the instant its request was due (latency).
 */
export interface Load {
  connections: number;
  durationS: number;
  warmupS: number;
  rate?: number;
}

/** What to request; `next` varies each request (e.g. a fresh query so nothing is served from a cache). */
export interface Target {
  baseUrl: string;
  path: string;
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  next?: () => { path: string; body?: string; headers?: Record<string, string> };
  /** The server process, for its CPU time; omitted when the server is not one process of ours. */
  pid?: number;
}

/** A response to imitate: status 200 with these bytes and headers (the per-connection ones left out). */
export interface SampledResponse {
  contentType: string;
  body: Buffer;
  headers?: Record<string, string>;
}

/** The exact response the baselines (a bare Express 5 app and a bare node:http server) must send. */
export type BaselineResponse = { path: string } & SampledResponse;

/**
 * What a scenario hands back: its load, what the ratio is about (`compare`: throughput, rps / baseline rps,
 * or latency, baseline p99 / p99; higher is better for both), the response its baselines must send, and
 * either of:
 * - `measurement`: the scenario measured itself (a figure of its own, such as orders the broker confirmed),
 *   compared with the bare servers or with a `reference` of its own kind (bcrypt alone for logins);
 * - `target`: a steady target the runner measures, in `rounds` that alternate with the baselines' (see
 *   `rounds`), for a throughput ratio that a machine changing speed during the run moves little.
 */
export type ScenarioOutcome =
  | {
      measurement: Measurement;
      load: Load;
      compare: 'throughput' | 'latency';
      baseline?: BaselineResponse;
      /** Instead of the bare servers: a figure of another kind measured in the same run, the ratio's baseline. */
      reference?: NamedMeasurement;
      /** The ratio, when the scenario took it itself (the median of the ratios of its rounds). */
      ratio?: number;
      /** Other figures measured at the same time as the scenario's (e.g. reads under its load), each a row. */
      alongside?: NamedMeasurement[];
    }
  | { target: Target; load: Load; rounds: number; compare: 'throughput'; baseline: BaselineResponse };

/** A measurement reported as a row of its own, under `name`. */
export interface NamedMeasurement {
  name: string;
  measurement: Measurement;
}

/** A part of the system a scenario needs running (a service, a database with data), shared across scenarios. */
export interface Fixture<T> {
  value: T;
  stop: () => Promise<void>;
}

export interface BenchContext {
  /** Warms up, then measures `target` under `load`. */
  measure(target: Target, load: Load): Promise<Measurement>;
  /** Starts a fixture the first time it is asked for; the runner stops every fixture at the end. */
  fixture<T>(name: string, start: () => Promise<Fixture<T>>): Promise<T>;
  log(message: string): void;
}

export interface Scenario {
  name: string;
  /** The goal, shown beside the result (e.g. "ratio ≥ 0.7"). */
  goal?: string;
  run(context: BenchContext): Promise<ScenarioOutcome>;
}

/** One line of `bench/results/latest.json`. */
export interface ResultRow {
  scenario: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  baselineScenario: string | null;
  ratio: number | null;
  /** Cores used by the server under test and by the load generator (see `Measurement.cpu`). */
  serverCpu: number | null;
  loadCpu: number | null;
}
