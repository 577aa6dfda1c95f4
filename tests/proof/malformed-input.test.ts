import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@foodflow/platform/testing';
import type { ProcessName } from '../system/stack.js';
import type { Account } from '../system/support.js';
import { contractKeys, type Endpoint, endpointKey, serviceEndpoints } from './endpoints.js';
import { errorShapeProblems } from './error-shape.js';
import { type Callers, type Draft, malformedDrafts, toRequest } from './malformed-requests.js';
import { everyRole, type ProofStack, type Role, startProofStack } from './proof-stack.js';
import { settledDigests } from './table-digests.js';
import { send } from './wire.js';

/**
 * Generated bad input through the gateway: at least 10,000 requests, each wrong by construction (see
 * malformed-requests.ts), spread over every endpoint the services route. Each one must be refused with a
 * 4xx in the contract's error shape; afterwards every process still answers and no table holds a row
 * it did not hold before.
 *
 * The seed is fixed so a failure can be replayed: `PROOF_FUZZ_SEED=<seed> npx vitest run <this file>`.
 * A failure prints the shrunk request (method, path, headers, body) and what was wrong with its answer.
 */
const SEED = Number(process.env['PROOF_FUZZ_SEED'] ?? 14);
const AT_LEAST = 10_000;
/** Endpoints fuzzed at once: enough to keep two cores busy, few enough that the answers stay in order. */
const AT_ONCE = 6;

let proof: ProofStack;
let accounts: Record<Role, Account>;
let endpoints: Endpoint[];
let before: Record<string, string>;
let callers: Callers;

beforeAll(async () => {
  proof = await startProofStack();
  accounts = await everyRole(proof);
  endpoints = await serviceEndpoints(proof.stack);
  callers = { tokenFor: (endpoint) => accounts[(endpoint.roles[0] as Role | undefined) ?? 'customer'].token };
  before = await settledDigests(proof.db);
}, 120_000);

afterAll(async () => {
  await proof?.stop();
});

/** The request a draft stands for, with its flaws, long strings cut short, for reading a counterexample. */
const readable = (endpoint: Endpoint, draft: Draft): string =>
  JSON.stringify(
    { flaws: draft.flaws, ...toRequest(endpoint, draft, callers) },
    (_, v: unknown) => (typeof v === 'string' && v.length > 2000 ? `${v.slice(0, 2000)}… (${v.length} chars)` : v),
    2,
  );

describe('generated malformed requests through the gateway', () => {
  it('when the endpoints are read from the services, then every endpoint of the contract is among them', () => {
    const fuzzed = new Set(endpoints.map(endpointKey));
    expect(contractKeys().length).toBeGreaterThan(30);
    expect(contractKeys().filter((key) => !fuzzed.has(key))).toEqual([]);
  });

  it('when at least 10,000 are sent, then each is refused with a 4xx in the contract shape, never a 2xx or 5xx', async () => {
    const numRuns = Math.ceil(AT_LEAST / endpoints.length);
    console.log(`Fuzz seed ${SEED} (replay with PROOF_FUZZ_SEED=${SEED}), ${numRuns} requests per endpoint`);
    const failures: string[] = [];
    let ran = 0;
    const queue = endpoints.map((endpoint, index) => ({ endpoint, seed: SEED + index }));
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { endpoint, seed } = next;
        const property = fc.asyncProperty(malformedDrafts(endpoint, callers), async (draft) => {
          const req = toRequest(endpoint, draft, callers);
          const res = await send(proof.stack.gatewayUrl, req);
          const problems =
            res.status >= 400 && res.status < 500 ? errorShapeProblems(res.status, res.headers, res.text) : [];
          if (res.status < 400 || res.status >= 500) problems.push(`answered ${res.status}, not a 4xx`);
          if (problems.length > 0) throw new Error(`${problems.join('; ')}\nAnswer: ${res.text.slice(0, 500)}`);
        });
        const details = await fc.check(property, { seed, numRuns });
        ran += details.numRuns;
        if (details.failed && details.counterexample) {
          failures.push(
            `${endpointKey(endpoint)} (seed ${seed}):\n${readable(endpoint, details.counterexample[0])}\n` +
              `${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: AT_ONCE }, worker));

    expect(failures.join('\n\n')).toBe('');
    expect(ran).toBeGreaterThanOrEqual(AT_LEAST);
  }, 150_000);

  it('when they have all been answered, then every process is still up', async () => {
    const names: ProcessName[] = ['user', 'restaurant', 'order', 'delivery', 'gateway'];
    const health = await Promise.all(
      names.map(async (name) => [name, (await fetch(`${proof.stack.url(name)}/health/ready`)).status]),
    );
    expect(Object.fromEntries(health)).toEqual(Object.fromEntries(names.map((name) => [name, 200])));
  });

  it('when they have all been answered, then no table gained, lost or changed a row, and no cart holds an item', async () => {
    const after = await settledDigests(proof.db);
    expect(after).toEqual(before);
    // Carts live in Redis, not in a table: the customer who sent every cart request still has an empty one.
    const cart = await http('GET', `${proof.stack.gatewayUrl}/api/cart`, { token: accounts.customer.token });
    expect(cart.body).toMatchObject({ items: [] });
  });
});
