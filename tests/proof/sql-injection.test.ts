import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, startHttp } from '@foodflow/platform/testing';
import { type Account, CITY, openRestaurant, placeOrder, saveAddress } from '../system/support.js';
import { contractKeys, type Endpoint, endpointKey, type JsonSchema, serviceEndpoints } from './endpoints.js';
import { everyRole, PASSWORD, type ProofStack, type Role, startProofStack } from './proof-stack.js';
import { runSqlmap, type SqlmapReport, type SqlmapTarget } from './sqlmap.js';

/**
 * sqlmap (Debian's) against every endpoint that takes a parameter, through the gateway, signed in where
 * the route asks for it: each path parameter (marked `*`), query parameter and JSON body value is tried
 * with PostgreSQL's boolean, error, stacked and time-based payloads. Each run starts from a request that
 * passes validation (checked first), so the payloads get as far as a real request would; the proof is
 * that sqlmap tested every parameter and found none injectable.
 */
let proof: ProofStack;
let accounts: Record<Role, Account>;
let endpoints: Endpoint[];
/** Real ids, so that reads and writes reach the database with the probed values beside them. */
let ids: Record<string, string>;

/** sqlmap runs at once: each mostly waits on its requests, and four keep the two cores busy. */
const AT_ONCE = 4;

beforeAll(async () => {
  // Thousands of failed sign-ins from one address are what sqlmap sends to the login; the lock-out would
  // answer them all before the query that is being probed.
  proof = await startProofStack({
    user: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000000', LOGIN_MAX_FAILURES_PER_IP: '1000000' },
  });
  accounts = await everyRole(proof);
  endpoints = await serviceEndpoints(proof.stack);
  const gateway = proof.stack.gatewayUrl;
  const { restaurantId, itemIds } = await openRestaurant(gateway, accounts.restaurant_owner);
  const menu = await http('GET', proof.api(`/api/restaurants/${restaurantId}/menu`));
  const addressId = await saveAddress(gateway, accounts.customer);
  const order = await placeOrder(gateway, accounts.customer, addressId, itemIds);
  ids = {
    restaurantId,
    categoryId: menu.body.categories[0].id,
    menuItemId: itemIds[0] ?? '',
    addressId,
    orderId: order.id,
  };
}, 120_000);

afterAll(async () => {
  await proof?.stop();
});

/** The fixture id a path of this shape takes; deliveries have none, a random id reads as not found. */
function pathId(path: string, name: string): string {
  if (name === 'orderId' || path.startsWith('/api/orders')) return ids['orderId'] ?? '';
  if (name === 'menuItemId' || path.startsWith('/api/menus/items')) return ids['menuItemId'] ?? '';
  if (path.startsWith('/api/menus/categories')) return ids['categoryId'] ?? '';
  if (path.startsWith('/api/restaurants')) return ids['restaurantId'] ?? '';
  if (path.startsWith('/api/users/addresses')) return ids['addressId'] ?? '';
  return randomUUID();
}

/** Values no schema rule can derive (a time zone, a coordinate pair, a login that exists). */
const KNOWN: Record<string, () => unknown> = {
  email: () => `sqlmap.${randomUUID()}@example.test`,
  password: () => PASSWORD,
  timeZone: () => 'America/New_York',
  near: () => `${CITY.lat},${CITY.lng}`,
  openingHours: () => [{ day: 1, open: '09:00', close: '17:00' }],
  refreshToken: () => 'an-unknown-refresh-token',
  imageUrl: () => 'https://example.test/dish.png',
};

/** A value the schema accepts: fixtures for ids, the first enum value, the lower bound, a matching string. */
function example(schema: JsonSchema, name: string): unknown {
  const known = KNOWN[name];
  if (known) return known();
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf?.[0]) return example(schema.anyOf[0], name);
  switch (schema.type) {
    case 'string':
      if (schema.format === 'uuid') return ids[name] ?? randomUUID();
      if (schema.pattern) {
        const fits = (s: string): boolean =>
          s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? 1e6);
        return fc.sample(fc.stringMatching(new RegExp(schema.pattern)).filter(fits), { seed: 1, numRuns: 1 })[0];
      }
      return 'probe'.padEnd(schema.minLength ?? 0, 'e');
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, example(s, k)]));
    case 'array':
      return [example(schema.items ?? {}, name)];
    default:
      return null;
  }
}

interface Probe {
  endpoint: Endpoint;
  target: SqlmapTarget;
  /** The names sqlmap must report as tested: `#n*` for the nth marked path segment, `JSON <field>`, query names. */
  parameters: string[];
}

function probeOf(endpoint: Endpoint, token: string | undefined): Probe {
  let marks = 0;
  const path = endpoint.path.replace(/\{(\w+)\}/g, (_, name: string) => `${pathId(endpoint.path, name)}*`);
  const markNames = [...endpoint.path.matchAll(/\{(\w+)\}/g)].map(() => `#${++marks}*`);
  const query = endpoint.parameters.filter((p) => p.in === 'query');
  const search = new URLSearchParams(
    query.map((p): [string, string] => [p.name, String(example(p.schema, p.name))]),
  ).toString();
  const body = endpoint.body && (example(endpoint.body, 'body') as Record<string, unknown>);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'Idempotency-Key': randomUUID(),
    // Echoed in every answer: a new id each time would make sqlmap see every page as different.
    'X-Request-ID': 'sqlmap-probe',
  };
  if (token) headers['Authorization'] = `Bearer ${token}`;
  // sqlmap tries the values it can change in place: strings, numbers and booleans, at any depth.
  const fields = Object.entries(endpoint.body?.properties ?? {})
    .filter(([, s]) => s.type !== 'object' && s.type !== 'array' && !s.anyOf)
    .map(([name]) => name);
  const names = [...query.map((p) => p.name), ...fields];
  return {
    endpoint,
    target: {
      method: endpoint.method,
      url: `${proof.stack.gatewayUrl}${path}${search ? `?${search}` : ''}`,
      headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
      ...(markNames.length === 0 && names.some((name) => /token/i.test(name)) ? { only: names } : {}),
    },
    parameters: [...markNames, ...query.map((p) => p.name), ...fields.map((name) => `JSON ${name}`)],
  };
}

/** A session of its own for signing out, since the first probe ends it. */
const tokenFor = async (endpoint: Endpoint): Promise<string | undefined> => {
  if (!endpoint.authenticated) return undefined;
  if (endpoint.path === '/api/auth/logout') {
    const res = await http('POST', proof.api('/api/auth/login'), {
      body: { email: accounts.customer.email, password: PASSWORD },
    });
    return res.body.accessToken;
  }
  return accounts[(endpoint.roles[0] as Role | undefined) ?? 'customer'].token;
};

describe('SQL injection, with sqlmap through the gateway', () => {
  it('when every endpoint with a parameter is probed, then sqlmap tests each parameter and finds none injectable', async () => {
    const withParameters = endpoints.filter((e) => e.parameters.length > 0 || e.body);
    expect(contractKeys().filter((key) => !endpoints.some((e) => endpointKey(e) === key))).toEqual([]);

    const probes: Probe[] = [];
    for (const endpoint of withParameters) {
      const probe = probeOf(endpoint, await tokenFor(endpoint));
      // The starting request must pass validation, or the payloads would never get past it.
      if (endpoint.path !== '/api/auth/logout') {
        const { method, url, headers, body } = probe.target;
        const base = await http(method, url.replaceAll('*', ''), { headers, ...(body ? { rawBody: body } : {}) });
        expect(base.status, `${endpointKey(endpoint)}: ${JSON.stringify(base.body)}`).not.toBe(400);
      }
      probes.push(probe);
    }

    const reports: { probe: Probe; report: SqlmapReport }[] = [];
    const queue = [...probes];
    const worker = async (): Promise<void> => {
      for (let probe = queue.shift(); probe; probe = queue.shift()) {
        reports.push({ probe, report: await runSqlmap(probe.target) });
      }
    };
    await Promise.all(Array.from({ length: AT_ONCE }, worker));

    const problems = reports.flatMap(({ probe, report }) => {
      // A marked path segment is named after the request's data: `#1*`, or `JSON #1*` beside a JSON body.
      const untested = probe.parameters.filter(
        (name) => !report.tested.some((t) => t === name || t === `JSON ${name}`),
      );
      const found = [
        ...(report.injectable.length > 0 ? [`injectable: ${report.injectable.join(', ')}`] : []),
        ...(untested.length > 0 ? [`not tested: ${untested.join(', ')} (tested: ${report.tested.join(', ')})`] : []),
      ];
      return found.length > 0
        ? [`${endpointKey(probe.endpoint)}: ${found.join('; ')}\n${report.output.slice(-3000)}`]
        : [];
    });
    expect(problems).toEqual([]);
    expect(reports).toHaveLength(withParameters.length);
  }, 240_000);

  it('when the same probe meets a query built from its input, then it reports the parameter injectable', async () => {
    const vulnerable = createServer((req, res) => {
      const name = new URL(req.url ?? '/', 'http://probe.invalid').searchParams.get('name') ?? '';
      // Concatenated on purpose, as no repository of the platform builds a query.
      // Stacked statements answer one result each; the first is the count.
      proof.db.query(`SELECT count(*)::int AS n FROM users.users WHERE first_name = '${name}'`).then(
        (result) => res.end(JSON.stringify([result].flat()[0]?.rows[0] ?? null)),
        () => res.writeHead(400).end('{}'),
      );
    });
    const running = await startHttp(vulnerable);
    try {
      // Boolean-based alone finds it, in a few seconds.
      const report = await runSqlmap({
        method: 'GET',
        url: `${running.baseUrl}/?name=Firstcustomer`,
        headers: {},
        techniques: 'B',
      });
      expect(report.injectable).toEqual(['name']);
    } finally {
      await running.close();
    }
  }, 120_000);
});
