import { readFileSync } from 'node:fs';
import type { ProcessName, Stack } from '../system/stack.js';

/**
 * The endpoints the proof suites cover, from one source: the OpenAPI document each service derives from
 * the routes and Joi schemas it actually runs. A new endpoint is in it the moment it is routed, so no
 * suite can miss it silently; `contractKeys` (API.md's tables) checks that none of the contract is missing.
 */

/** The subset of JSON Schema that joi-to-swagger writes for the services' Joi schemas. */
export interface JsonSchema {
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
  format?: string;
  pattern?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  nullable?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

export interface Endpoint {
  service: Exclude<ProcessName, 'gateway'>;
  method: string;
  /** In OpenAPI's spelling: `/api/orders/{id}/status`. */
  path: string;
  /** Whether the route asks for a signed-in caller. */
  authenticated: boolean;
  /** The roles the route admits; empty when any signed-in caller may call it. */
  roles: string[];
  parameters: Parameter[];
  body: JsonSchema | undefined;
}

interface Operation {
  description?: string;
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { schema: JsonSchema } } };
}

const SERVICES = ['user', 'restaurant', 'order', 'delivery'] as const;

export const endpointKey = (endpoint: { method: string; path: string }): string =>
  `${endpoint.method} ${endpoint.path}`;

/** Every `/api` endpoint the running services route, read from their `/openapi.json`. */
export async function serviceEndpoints(stack: Stack): Promise<Endpoint[]> {
  const documents = await Promise.all(
    SERVICES.map(async (service) => {
      const res = await fetch(`${stack.url(service)}/openapi.json`);
      if (!res.ok) throw new Error(`${service}: /openapi.json answered ${res.status}`);
      return { service, paths: ((await res.json()) as { paths: Record<string, Record<string, Operation>> }).paths };
    }),
  );
  return documents.flatMap(({ service, paths }) =>
    Object.entries(paths).flatMap(([path, operations]) =>
      Object.entries(operations).map(([method, operation]) => ({
        service,
        method: method.toUpperCase(),
        path,
        authenticated: (operation.security ?? []).length > 0,
        // The document names a route's roles in its description ("Roles: driver, admin").
        roles: operation.description?.match(/^Roles: (.+)$/)?.[1]?.split(', ') ?? [],
        parameters: operation.parameters ?? [],
        body: operation.requestBody?.content['application/json'].schema,
      })),
    ),
  );
}

/**
 * Every endpoint of the contract's tables (`../shared/API.md`), keyed in OpenAPI's spelling
 * (`PUT /api/orders/:id/status` becomes `PUT /api/orders/{id}/status`).
 */
export function contractKeys(): string[] {
  const contract = readFileSync(new URL('../../../shared/API.md', import.meta.url), 'utf8');
  const rows = contract.split('\n').filter((line) => line.startsWith('| `'));
  return rows.flatMap((row) =>
    [...(row.split('|')[1] ?? '').matchAll(/`([A-Z]+) (\/api\/[^`\s]+)`/g)].map(
      ([, method = '', path = '']) => `${method} ${path.replace(/:(\w+)/g, '{$1}')}`,
    ),
  );
}

/** A concrete path for an endpoint, each path parameter filled in by `value`. */
export const fillPath = (path: string, value: (name: string) => string): string =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(value(name)));
