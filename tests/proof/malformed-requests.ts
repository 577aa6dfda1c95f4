import fc from 'fast-check';
import { generateTestKeys, signTestAccessToken } from '@foodflow/platform/testing';
import { type Endpoint, fillPath, type JsonSchema, type Parameter } from './endpoints.js';

/**
 * Requests that are wrong by construction, generated from each endpoint's own schemas (its OpenAPI
 * entry): every request carries at least one flaw that the endpoint is bound to refuse, whatever the rest
 * of it holds. A flaw is only ever generated where the schema says the value cannot pass: a required
 * field left out, a field the schema does not know, a value of another JSON type, a number past a stated
 * bound, a string past its stated length, an id or enum value that cannot match (it starts with `~`),
 * a body that is not JSON or not declared as JSON, a token that does not verify. So an accidentally
 * valid request cannot be generated, and any 2xx answer is a finding, not noise.
 */

type Key = string | number;

/** One reason the request must be refused, as plain data so a counterexample reads as what was sent. */
type Flaw =
  | { part: 'body'; kind: 'not-json'; text: string }
  | { part: 'body'; kind: 'not-declared-json'; contentType: string | null }
  | { part: 'body'; kind: 'over-1-mib' }
  | { part: 'body'; kind: 'missing'; at: Key[] }
  | { part: 'body'; kind: 'unknown-field'; at: Key[]; value: unknown }
  | { part: 'body'; kind: 'bad-value'; at: Key[]; value: unknown }
  | { part: 'path'; kind: 'bad-id'; name: string; value: string }
  | { part: 'query'; kind: 'unknown-parameter'; name: string; value: string }
  | { part: 'query'; kind: 'bad-value'; name: string; value: string }
  | { part: 'query'; kind: 'repeated'; name: string; values: [string, string] }
  | { part: 'query'; kind: 'bracketed'; name: string; value: string }
  | { part: 'auth'; kind: 'bad-token'; authorization: string | null };

export interface Draft {
  pathValues: Record<string, string>;
  body: unknown;
  flaws: Flaw[];
  /** What may ride along without making the request any less wrong. */
  noise: { requestId: string | null; query: [string, string] | null; rawQuery: string | null };
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A leading `~` matches no uuid, enum value, pattern or number the schemas accept. */
const tilde = (max = 40): fc.Arbitrary<string> => fc.string({ unit: 'grapheme', maxLength: max }).map((s) => `~${s}`);
const printable = (min: number, max: number) => fc.stringMatching(new RegExp(`^[!-~]{${min},${max}}$`));

const badId: fc.Arbitrary<string> = fc
  .oneof(
    tilde(60),
    fc.constantFrom("' OR '1'='1", '1; DROP TABLE users--', '../../etc/passwd', '%00', 'null', '-1', '0', '1e308', ' '),
    fc.uuid({ version: 4 }).map((id) => id.slice(0, -1)),
    fc.uuid({ version: 4 }).map((id) => `${id}0`),
    fc.integer().map(String),
    fc.string({ unit: 'grapheme', minLength: 200, maxLength: 1500 }),
  )
  // A dot segment or an empty one would be another path, not a bad id.
  .filter((id) => !UUID.test(id) && !['', '.', '..'].includes(id));

const tooLong = (maxLength: number): fc.Arbitrary<string> =>
  fc
    .tuple(fc.oneof({ arbitrary: fc.nat(100), weight: 9 }, { arbitrary: fc.nat(200_000), weight: 1 }), tilde(20))
    // Not whitespace, so no trimming shortens it back under the limit.
    .map(([extra, tail]) => 'é'.repeat(maxLength + 1 + extra) + tail);

const typeOf = (schema: JsonSchema): JsonSchema['type'] =>
  schema.type ?? (schema.anyOf?.every((s) => s.type === 'object') ? 'object' : undefined);

/** Values of every JSON type but the schema's own (and not null where null is allowed). */
function wrongType(schema: JsonSchema): fc.Arbitrary<unknown>[] {
  const type = typeOf(schema);
  if (!type) return [];
  const all: Record<string, fc.Arbitrary<unknown>> = {
    string: tilde(),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    object: fc.object({ maxDepth: 2 }),
    array: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  };
  const same = type === 'integer' ? 'number' : type;
  const others = Object.entries(all)
    .filter(([name]) => name !== same)
    .map(([, arbitrary]) => arbitrary);
  return schema.nullable ? others : [...others, fc.constant(null)];
}

/** Values the schema is bound to refuse. */
function badValues(schema: JsonSchema): fc.Arbitrary<unknown>[] {
  const bad = wrongType(schema);
  const { minimum, maximum } = schema;
  if (schema.type === 'number' || schema.type === 'integer') {
    if (minimum !== undefined) bad.push(fc.constantFrom(minimum - 1, minimum - 0.5, -Number.MAX_VALUE));
    if (maximum !== undefined) bad.push(fc.constantFrom(maximum + 1, maximum + 0.5, Number.MAX_VALUE));
    // Past 2^53 a number is no longer exact; Joi refuses those unless told otherwise.
    bad.push(fc.constantFrom(2 ** 53 + 2, -(2 ** 53) - 2));
    if (schema.type === 'integer') bad.push(fc.integer({ min: -1000, max: 1000 }).map((n) => n + 0.5));
  }
  if (schema.type === 'string') {
    if (schema.maxLength !== undefined) bad.push(tooLong(schema.maxLength));
    if (schema.format === 'uuid') bad.push(badId);
    if (schema.format === 'email') bad.push(tilde().map((s) => s.replaceAll('@', '')));
    if (schema.enum) bad.push(tilde());
    if (schema.pattern) {
      const pattern = new RegExp(schema.pattern);
      bad.push(tilde().filter((s) => !pattern.test(s)));
    }
  }
  if (schema.type === 'array' && schema.maxItems !== undefined && schema.items) {
    bad.push(fc.array(plausible(schema.items), { minLength: schema.maxItems + 1, maxLength: schema.maxItems + 3 }));
  }
  return bad;
}

/** A value shaped like the schema's; whether it is valid does not matter, the flaws make the request wrong. */
function plausible(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(plausible));
  const low = schema.minimum ?? -1000;
  const high = schema.maximum ?? low + 2000;
  switch (schema.type) {
    case 'string':
      if (schema.format === 'uuid') return fc.uuid({ version: 4 });
      if (schema.format === 'email') return fc.emailAddress();
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 20, 20) });
    case 'integer':
      return fc.integer({ min: low, max: high });
    case 'number':
      return fc.double({ min: low, max: high, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'object':
      // Every property present, so a flaw deep inside always has its parents around it.
      return fc.record(Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, plausible(s)])));
    case 'array':
      return fc.array(plausible(schema.items ?? {}), { minLength: 1, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    default:
      return fc.constant(null);
  }
}

/** Every flaw a body schema allows, at every depth (arrays through their first item). */
function bodyFlaws(schema: JsonSchema, at: Key[] = []): fc.Arbitrary<Flaw>[] {
  const flaws: fc.Arbitrary<Flaw>[] = badValues(schema).map((value) =>
    value.map((v): Flaw => ({ part: 'body', kind: 'bad-value', at, value: v })),
  );
  if (schema.type === 'object') {
    const properties = schema.properties ?? {};
    for (const key of schema.required ?? [])
      flaws.push(fc.constant({ part: 'body', kind: 'missing', at: [...at, key] }));
    if (schema.additionalProperties === false) {
      const unknown = fc.oneof(tilde(20), fc.constantFrom('__proto__', 'constructor', 'id', 'role', 'ownerId'));
      flaws.push(
        fc
          .tuple(
            unknown.filter((key) => !(key in properties)),
            fc.jsonValue({ maxDepth: 1 }),
          )
          .map(([key, value]): Flaw => ({ part: 'body', kind: 'unknown-field', at: [...at, key], value })),
      );
    }
    for (const [key, property] of Object.entries(properties)) flaws.push(...bodyFlaws(property, [...at, key]));
  }
  if (schema.type === 'array' && schema.items) flaws.push(...bodyFlaws(schema.items, [...at, 0]));
  return flaws;
}

/** Query values (strings) the parameter's schema is bound to refuse. */
function badQueryValues(schema: JsonSchema): fc.Arbitrary<string>[] {
  const bad: fc.Arbitrary<string>[] = [];
  const { minimum, maximum } = schema;
  if (schema.type === 'integer' || schema.type === 'number' || schema.type === 'boolean') bad.push(tilde());
  if (schema.type === 'integer' || schema.type === 'number') {
    if (minimum !== undefined) bad.push(fc.nat(1_000_000).map((n) => String(minimum - 1 - n)));
    if (maximum !== undefined) bad.push(fc.constantFrom(String(maximum + 1), '1e308', '9'.repeat(400)));
    bad.push(fc.constantFrom('1e400', '9007199254740993'));
    if (schema.type === 'integer') bad.push(fc.constantFrom('1.5', '2.000001', '0x10'));
  }
  if (schema.type === 'string') {
    if (schema.maxLength !== undefined) bad.push(tooLong(schema.maxLength));
    if (schema.format === 'uuid') bad.push(badId);
    if (schema.enum) bad.push(tilde());
    if (schema.pattern) {
      const pattern = new RegExp(schema.pattern);
      bad.push(tilde().filter((s) => !pattern.test(s)));
    }
  }
  return bad;
}

function queryFlaws(parameters: Parameter[]): fc.Arbitrary<Flaw>[] {
  const query = parameters.filter((p) => p.in === 'query');
  if (query.length === 0) return [];
  const names = new Set(query.map((p) => p.name));
  const flaws: fc.Arbitrary<Flaw>[] = [
    fc
      .tuple(
        fc.oneof(tilde(20), fc.constantFrom('__proto__', 'constructor', 'toString')).filter((name) => !names.has(name)),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
      )
      .map(([name, value]): Flaw => ({ part: 'query', kind: 'unknown-parameter', name, value })),
  ];
  for (const { name, schema } of query) {
    // Twice the same name is an array, and a bracketed name an object or an unknown name: no schema takes those.
    flaws.push(
      fc
        .tuple(plausible(schema), plausible(schema))
        .map(([a, b]): Flaw => ({ part: 'query', kind: 'repeated', name, values: [String(a), String(b)] })),
      plausible(schema).map((v): Flaw => ({ part: 'query', kind: 'bracketed', name, value: String(v) })),
      ...badQueryValues(schema).map((value) =>
        value.map((v): Flaw => ({ part: 'query', kind: 'bad-value', name, value: v })),
      ),
    );
  }
  return flaws;
}

/** Authorization headers that verify as no one: none, not a bearer token, forged or tampered tokens. */
function authFlaws(validToken: string): fc.Arbitrary<Flaw>[] {
  const foreign = generateTestKeys();
  const [header = '', payload = '', signature = ''] = validToken.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const headers = [
    null,
    'Bearer',
    'Bearer ',
    'Basic dXNlcjpwYXNzd29yZA==',
    // The caller's own token with the role raised: the signature no longer holds.
    `Bearer ${header}.${encode({ ...claims, role: 'admin' })}.${signature}`,
    // Unsigned.
    `Bearer ${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...claims, role: 'admin' })}.`,
    // Signed, with a key the platform does not trust.
    `Bearer ${signTestAccessToken({ privateKey: foreign.privateKey, sub: String(claims['sub']), role: 'admin' })}`,
  ];
  return [fc.constantFrom(...headers), printable(1, 300).map((junk) => `Bearer ${junk}`)].map((authorization) =>
    authorization.map((a): Flaw => ({ part: 'auth', kind: 'bad-token', authorization: a })),
  );
}

/** What makes any request refused, whatever its endpoint: a body that is not JSON, or not said to be. */
function envelopeFlaws(): fc.Arbitrary<Flaw>[] {
  const notJson = fc
    .oneof(
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }),
      fc.json().map((text) => text.slice(0, Math.max(1, text.length - 1))),
      fc.constantFrom('{"a":1,}', "{'a':1}", '{"a":NaN}', '{"a":1}/*c*/', '"text"', '42', 'null', 'true', '{"a":'),
      // Nested deeper than any parser should recurse, and never closed.
      fc.constantFrom('['.repeat(100_000), '{"a":'.repeat(20_000)),
    )
    .filter((text) => !parsesAsJsonBody(text));
  return [
    notJson.map((text): Flaw => ({ part: 'body', kind: 'not-json', text })),
    fc
      .constantFrom(
        null,
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
      )
      .map((contentType): Flaw => ({ part: 'body', kind: 'not-declared-json', contentType })),
  ];
}

/** What body-parser's strict JSON parser accepts: an object or an array, nothing else. */
function parsesAsJsonBody(text: string): boolean {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export interface Callers {
  /** A valid access token for a caller whom the endpoint admits (its first role, or a customer). */
  tokenFor: (endpoint: Endpoint) => string;
}

/** Drafts of wrong requests for one endpoint: a plausible request, then one to three flaws, plus noise. */
export function malformedDrafts(endpoint: Endpoint, callers: Callers): fc.Arbitrary<Draft> {
  const pathNames = endpoint.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const flaws = [
    ...envelopeFlaws().map((arbitrary) => ({ arbitrary, weight: 2 })),
    // A body past the gateway's limit costs a mebibyte a request: rare.
    { arbitrary: fc.constant<Flaw>({ part: 'body', kind: 'over-1-mib' }), weight: 1 },
    ...(endpoint.body ? bodyFlaws(endpoint.body) : []).map((arbitrary) => ({ arbitrary, weight: 4 })),
    ...pathNames.map((name) => ({
      arbitrary: badId.map((value): Flaw => ({ part: 'path', kind: 'bad-id', name, value })),
      weight: 6,
    })),
    ...queryFlaws(endpoint.parameters).map((arbitrary) => ({ arbitrary, weight: 3 })),
    ...(endpoint.authenticated ? authFlaws(callers.tokenFor(endpoint)) : []).map((arbitrary) => ({
      arbitrary,
      weight: 3,
    })),
  ];
  return fc.record({
    pathValues: fc.record(Object.fromEntries(pathNames.map((name) => [name, fc.uuid({ version: 4 })]))),
    body: endpoint.body ? plausible(endpoint.body) : fc.constant(undefined),
    flaws: fc.array(fc.oneof(...flaws), { minLength: 1, maxLength: 3 }),
    noise: fc.record({
      requestId: fc.option(printable(1, 200)),
      query: fc.option(fc.tuple(tilde(10), fc.string({ maxLength: 20 }))),
      // Sent as it is: percent signs that decode to nothing, or to invalid UTF-8.
      rawQuery: fc.option(fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%C0%AF', '%ff%fe', '&&&', '==', '%2e%2e%2f')),
    }),
  });
}

const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

/** Sets or deletes the value at `at` inside `root`, as long as every parent on the way is an object. */
function change(root: unknown, at: Key[], value: unknown, remove = false): unknown {
  if (at.length === 0) return value;
  const parents = at.slice(0, -1);
  let node = root;
  for (const key of parents) {
    if (typeof node !== 'object' || node === null) return root;
    node = (node as Record<Key, unknown>)[key];
  }
  if (typeof node !== 'object' || node === null) return root;
  const last = at[at.length - 1] as Key;
  if (remove) delete (node as Record<Key, unknown>)[last];
  // Defined, not assigned: assigning `__proto__` would change the prototype instead of adding a field.
  else Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  return root;
}

const encode = encodeURIComponent;

/** The request a draft stands for, as bytes on the wire would say it. */
export function toRequest(endpoint: Endpoint, draft: Draft, callers: Callers): RawRequest {
  const pathValues = { ...draft.pathValues };
  let body = clone(draft.body);
  let text: string | undefined;
  let contentType: string | null = 'application/json';
  let authorization: string | null = endpoint.authenticated ? `Bearer ${callers.tokenFor(endpoint)}` : null;
  const query: string[] = [];
  for (const flaw of draft.flaws) {
    if (flaw.part === 'path') pathValues[flaw.name] = flaw.value;
    else if (flaw.part === 'auth') authorization = flaw.authorization;
    else if (flaw.part === 'query') {
      if (flaw.kind === 'repeated') query.push(...flaw.values.map((v) => `${encode(flaw.name)}=${encode(v)}`));
      else if (flaw.kind === 'bracketed') query.push(`${encode(flaw.name)}[x]=${encode(flaw.value)}`);
      else query.push(`${encode(flaw.name)}=${encode(flaw.value)}`);
    } else if (flaw.kind === 'not-json') text = flaw.text;
    else if (flaw.kind === 'not-declared-json') contentType = flaw.contentType;
    else if (flaw.kind === 'over-1-mib') text = JSON.stringify({ padding: 'x'.repeat(1024 * 1024) });
    else if (flaw.kind === 'missing') body = change(body, flaw.at, undefined, true);
    else body = change(body === undefined ? {} : body, flaw.at, clone(flaw.value));
  }
  // An endpoint without a body gets one only when the flaw is in the body.
  if (endpoint.body || draft.flaws.some((flaw) => flaw.part === 'body'))
    text ??= JSON.stringify(body === undefined ? {} : body);
  else contentType = null;
  if (draft.noise.query) query.push(draft.noise.query.map(encode).join('='));
  if (draft.noise.rawQuery) query.push(`~raw=${draft.noise.rawQuery}`);
  const headers: Record<string, string> = {};
  if (contentType) headers['content-type'] = contentType;
  if (authorization) headers['authorization'] = authorization;
  if (draft.noise.requestId) headers['x-request-id'] = draft.noise.requestId;
  const path = fillPath(endpoint.path, (name) => pathValues[name] ?? '');
  return { method: endpoint.method, path: query.length > 0 ? `${path}?${query.join('&')}` : path, headers, body: text };
}
