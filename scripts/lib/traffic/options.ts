import { parseArgs } from 'node:util';

/**
 * Command-line flags of the traffic tools, checked one by one: a wrong one stops the tool with a line
 * saying which flag, what it was given and what it takes.
 */

export interface FlagSpec {
  /** What the flag takes, for the message when it is wrong. */
  takes: string;
  default: string;
  check: (value: string) => boolean;
}

const isNumberIn =
  (low: number, high: number, integer = false) =>
  (value: string) => {
    const n = Number(value);
    return value.trim() !== '' && Number.isFinite(n) && n >= low && n <= high && (!integer || Number.isInteger(n));
  };

/** Load only ever goes to this machine. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

const isLocalUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK.test(url.hostname);
  } catch {
    return false;
  }
};

export const flag = {
  rate: (fallback: number): FlagSpec => ({
    takes: 'orders started per second, more than 0 and at most 20 (e.g. 0.5)',
    default: String(fallback),
    check: (v) => isNumberIn(0.01, 20)(v),
  }),
  orders: (fallback: number): FlagSpec => ({
    takes: 'a whole number of orders from 1 to 100000',
    default: String(fallback),
    check: isNumberIn(1, 100_000, true),
  }),
  minutes: (fallback: number): FlagSpec => ({
    takes: 'minutes, more than 0 and at most 240 (e.g. 0.5)',
    default: String(fallback),
    check: (v) => isNumberIn(0.01, 240)(v),
  }),
  gateway: (fallback: string): FlagSpec => ({
    takes: 'the gateway’s http(s) URL on this machine (localhost, 127.x.x.x or [::1])',
    default: fallback,
    check: isLocalUrl,
  }),
};

export class FlagError extends Error {}

/**
 * The flags as given or defaulted, or a FlagError listing every wrong one (unknown flags, stray
 * arguments and values out of range alike).
 */
export function readFlags<K extends string>(args: string[], specs: Record<K, FlagSpec>): Record<K, string> {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args,
      options: Object.fromEntries(Object.keys(specs).map((name) => [name, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
    values = parsed.values;
  } catch (err) {
    throw new FlagError(`${(err as Error).message}\n${usage(specs)}`);
  }
  const problems: string[] = [];
  const result = {} as Record<K, string>;
  for (const [name, spec] of Object.entries(specs) as [K, FlagSpec][]) {
    const value = (values[name] as string | undefined) ?? spec.default;
    if (!spec.check(value)) problems.push(`--${name} ${JSON.stringify(value)}: takes ${spec.takes}`);
    result[name] = value;
  }
  if (problems.length > 0) throw new FlagError(`${problems.join('\n')}\n${usage(specs)}`);
  return result;
}

function usage(specs: Record<string, FlagSpec>): string {
  return `Flags:\n${Object.entries(specs)
    .map(([name, spec]) => `  --${name.padEnd(8)} ${spec.takes} (default ${spec.default})`)
    .join('\n')}`;
}
