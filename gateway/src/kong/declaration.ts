import { readFileSync } from 'node:fs';
import { ConfigError } from '@foodflow/platform';
import { parse } from 'yaml';

/**
 * The parts of Kong's DB-less declarative format (`_format_version: "3.0"`) that Food Flow uses.
 * Field names stay Kong's own, so this reads like the file it describes. The file itself is checked
 * against `gateway/kong.schema.json` by the test suite; loading only checks what the gateway relies on.
 */
export interface KongPlugin {
  name: string;
  config?: Record<string, unknown>;
}

export interface KongService {
  name: string;
  url: string;
  connect_timeout?: number;
  read_timeout?: number;
  write_timeout?: number;
  retries?: number;
}

export interface KongRoute {
  name: string;
  service: string;
  paths: string[];
  methods?: string[];
  strip_path?: boolean;
  regex_priority?: number;
  tags?: string[];
  plugins?: KongPlugin[];
}

export interface KongUpstream {
  name: string;
  targets?: { target: string; weight?: number }[];
}

export interface KongDeclaration {
  _format_version: string;
  services: KongService[];
  routes: KongRoute[];
  upstreams?: KongUpstream[];
  consumers?: unknown[];
  plugins?: KongPlugin[];
}

export const KONG_FILE = new URL('../../kong.yml', import.meta.url);

export function readKongDeclaration(file: string | URL = KONG_FILE): KongDeclaration {
  let declaration: Partial<KongDeclaration>;
  try {
    declaration = parse(readFileSync(file, 'utf8')) as Partial<KongDeclaration>;
  } catch (err) {
    throw new ConfigError([`The Kong declaration ${String(file)} cannot be read: ${(err as Error).message}`]);
  }
  const problems: string[] = [];
  if (declaration._format_version !== '3.0') problems.push('"_format_version" must be "3.0"');
  if (!Array.isArray(declaration.services)) problems.push('"services" must be a list');
  if (!Array.isArray(declaration.routes)) problems.push('"routes" must be a list');
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${String(file)}: ${p}`));
  return declaration as KongDeclaration;
}

/** The configuration of a plugin, route-level first (as in Kong, the most specific instance wins). */
export function pluginConfig<T>(name: string, ...scopes: (KongPlugin[] | undefined)[]): T | undefined {
  for (const plugins of scopes) {
    const plugin = plugins?.find((p) => p.name === name);
    if (plugin) return (plugin.config ?? {}) as T;
  }
  return undefined;
}

export interface CorsConfig {
  origins?: string[];
  methods?: string[];
  headers?: string[];
  exposed_headers?: string[];
  credentials?: boolean;
  max_age?: number;
}

export interface RateLimitingConfig {
  second?: number;
  minute?: number;
  hour?: number;
  day?: number;
}

export interface RequestSizeLimitingConfig {
  allowed_payload_size?: number;
  size_unit?: 'bytes' | 'kilobytes' | 'megabytes';
}

export interface RequestTransformerConfig {
  replace?: { uri?: string };
}

export interface CorrelationIdConfig {
  header_name?: string;
}

const sizeUnits = { bytes: 1, kilobytes: 2 ** 10, megabytes: 2 ** 20 } as const;

/** Kong's request-size-limiting counts in binary units: 1 megabyte there is 1 MiB. */
export const payloadLimitBytes = (config: RequestSizeLimitingConfig): number =>
  (config.allowed_payload_size ?? 128) * sizeUnits[config.size_unit ?? 'megabytes'];
