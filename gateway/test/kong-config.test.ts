import { readFileSync } from 'node:fs';
import { checkEnv, envSchemas, JWT_ALGORITHM } from '@foodflow/platform';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import {
  type CorsConfig,
  type KongDeclaration,
  type KongPlugin,
  payloadLimitBytes,
  pluginConfig,
  type RateLimitingConfig,
  type RequestSizeLimitingConfig,
} from '../src/kong/declaration.js';
import { readKongDeclaration } from '../src/kong/declaration.js';
import { requiresToken, RouteTable } from '../src/kong/routes.js';

/**
 * Checks gateway/kong.yml without a running Kong (there is none on these machines): its shape against
 * a schema of the entities and plugins it uses, its references, and that it covers the public
 * contract exactly, with the guards and limits the contract promises.
 */
const kong = readKongDeclaration();
const schema = JSON.parse(readFileSync(new URL('../kong.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true }).compile(schema);
const routes = new RouteTable(kong.routes);

interface ContractEndpoint {
  method: string;
  path: string;
  isPublic: boolean;
}

/** Every `METHOD /api/...` row of the contract's endpoint tables, with whether it is marked public. */
function contractEndpoints(): ContractEndpoint[] {
  const contract = readFileSync(new URL('../../../shared/API.md', import.meta.url), 'utf8');
  return contract
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => {
      const [endpoints = '', who = ''] = line.split('|').slice(1);
      return [...endpoints.matchAll(/`(GET|POST|PUT|PATCH|DELETE) (\/api\/\S+)`/g)].map((m) => ({
        method: m[1] ?? '',
        path: m[2] ?? '',
        isPublic: who.trim() === 'public',
      }));
    });
}

/** A concrete request path for a contract template (`/api/orders/:id/status` → `/api/orders/<uuid>/status`). */
const concrete = (template: string): string => template.replace(/:[A-Za-z]+/g, '6f1c2b9e-8d4a-4f7e-9c3b-2a1d0e5f6a7b');

const allPlugins = (declaration: KongDeclaration): KongPlugin[] => [
  ...(declaration.plugins ?? []),
  ...declaration.routes.flatMap((r) => r.plugins ?? []),
];

describe('the Kong declaration, statically', () => {
  it('when checked against the schema of the entities and plugins it uses, then it conforms', () => {
    const valid = validate(kong);

    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('when a plugin field is misspelt, then the schema refuses it', () => {
    const typo = structuredClone(kong);
    const rateLimiting = typo.plugins?.find((p) => p.name === 'rate-limiting');
    if (rateLimiting?.config) rateLimiting.config['minutes'] = 100;

    expect(validate(typo)).toBe(false);
  });

  it('when names are compared, then services, routes and upstreams are each unique, and plugins are unique per scope', () => {
    const unique = (names: string[]) => expect(new Set(names).size).toBe(names.length);

    unique(kong.services.map((s) => s.name));
    unique(kong.routes.map((r) => r.name));
    unique((kong.upstreams ?? []).map((u) => u.name));
    unique((kong.plugins ?? []).map((p) => p.name));
    for (const route of kong.routes) unique((route.plugins ?? []).map((p) => p.name));
  });

  it('when references are followed, then every route names a service and every service host resolves', () => {
    const services = new Set(kong.services.map((s) => s.name));
    const upstreams = new Set((kong.upstreams ?? []).map((u) => u.name));

    for (const route of kong.routes) expect(services, route.name).toContain(route.service);
    for (const service of kong.services) {
      const url = new URL(service.url);
      // A host without a port must be an upstream of this file; otherwise it is a DNS name with a port.
      if (url.port === '') expect(upstreams, service.name).toContain(url.hostname);
    }
    const used = new Set(kong.services.map((s) => new URL(s.url).hostname));
    for (const upstream of upstreams) expect(used, upstream).toContain(upstream);
  });

  it('when the contract is read, then every endpoint is routed by exactly one route, guarded unless public', () => {
    const endpoints = contractEndpoints();
    expect(endpoints.length).toBeGreaterThan(30);

    for (const { method, path, isPublic } of endpoints) {
      const concretePath = concrete(path);
      const matching = kong.routes.filter((r) => new RouteTable([r]).match(method, concretePath));
      expect(
        matching.map((r) => r.name),
        `${method} ${path}`,
      ).toHaveLength(1);
      expect(requiresToken(matching[0]!), `${method} ${path} guarded`).toBe(!isPublic);
    }
  });

  it('when Socket.IO connects, then its route reaches the delivery service without a jwt plugin', () => {
    for (const method of ['GET', 'POST']) {
      const route = routes.match(method, '/socket.io/');
      expect(route?.service).toBe('delivery-service');
      expect(requiresToken(route!)).toBe(false);
    }
  });

  it('when internal paths are asked for, then no route exposes them', () => {
    for (const path of ['/internal', '/internal/users/x/addresses/y', '/api/internal', '/internal/restaurants']) {
      for (const method of ['GET', 'POST', 'PUT', 'DELETE']) expect(routes.match(method, path), path).toBeUndefined();
    }
    for (const route of kong.routes) for (const path of route.paths) expect(path).not.toMatch(/internal/);
  });

  it('when limits are compared, then each window allows at least as much as the shorter one, at the contract values', () => {
    const windows = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
    const limits = allPlugins(kong).filter((p) => p.name === 'rate-limiting');
    expect(limits.length).toBeGreaterThan(0);

    for (const plugin of limits) {
      const config = plugin.config as RateLimitingConfig & Record<string, number | undefined>;
      const set = windows.map((w) => config[w]).filter((v): v is number => v !== undefined);
      expect(set).toEqual([...set].sort((a, b) => a - b));
    }
    const global = pluginConfig<RateLimitingConfig>('rate-limiting', kong.plugins);
    expect([global?.minute, global?.hour]).toEqual([100, 1000]);
  });

  it('when the pre-function keys limits by user, then exactly the jwt-guarded routes carry its `jwt` tag', () => {
    for (const route of kong.routes)
      expect(route.tags?.includes('jwt') ?? false, route.name).toBe(requiresToken(route));
  });

  it('when tokens are verified, then the credential matches the user service issuer and algorithm', () => {
    const { JWT_ISSUER } = checkEnv(envSchemas.auth, {}).values as { JWT_ISSUER: string };
    const consumers = (kong.consumers ?? []) as { jwt_secrets?: { key: string; algorithm: string }[] }[];
    const secrets = consumers.flatMap((c) => c.jwt_secrets ?? []);

    expect(secrets).toEqual([expect.objectContaining({ key: JWT_ISSUER, algorithm: JWT_ALGORITHM })]);
    for (const route of kong.routes.filter(requiresToken)) {
      expect(pluginConfig<{ key_claim_name: string }>('jwt', route.plugins)?.key_claim_name).toBe('iss');
    }
  });

  it('when bodies and origins are configured, then the limit is 1 MiB and the web app origins are allowed', () => {
    const size = pluginConfig<RequestSizeLimitingConfig>('request-size-limiting', kong.plugins);
    const cors = pluginConfig<CorsConfig>('cors', kong.plugins);

    expect(size && payloadLimitBytes(size)).toBe(2 ** 20);
    expect(cors?.origins).toEqual(
      expect.arrayContaining(['http://localhost:5173', 'http://localhost:8000', 'http://localhost']),
    );
  });
});
