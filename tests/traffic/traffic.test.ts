import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http } from '@foodflow/platform/testing';
import {
  castEmail,
  castSize,
  DEFAULTS,
  type Progress,
  SIMULATED_PASSWORD,
  Simulation,
} from '../../scripts/lib/traffic/simulation.js';
import { soak, soakTiming } from '../../scripts/lib/traffic/soak.js';
import { type ProcessName, startStack, type Stack } from '../system/stack.js';

/**
 * The traffic tools against the whole stack as processes: the simulator plays every order to the
 * doorstep through the gateway, and the soak runs the same traffic with reads and reports errors and
 * each process's memory.
 */
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** A short run: quick kitchens and rides of three positions, so an order lives a few seconds. */
const quick = { ...DEFAULTS, legSteps: 3, stepMs: 300, kitchenMs: 200, drainS: 60 };

describe('the traffic simulator', () => {
  it('when it runs, then every order it placed reaches delivered, as its restaurants’ owners see them', async () => {
    const cast = `test-${randomUUID().slice(0, 8)}`;
    const options = { ...quick, gatewayUrl: stack.gatewayUrl, rate: 1, orders: 5, minutes: 1, cast };
    const seen: Progress[] = [];
    const report = await new Simulation({ ...options, onProgress: (p) => seen.push(p) }).run();

    expect(report).toMatchObject({ placed: 5, delivered: 5, failed: 0, unfinished: 0, errors: [] });
    expect(report.positions).toBeGreaterThanOrEqual(5 * 2 * quick.legSteps);
    expect(seen.at(-1)).toMatchObject({ placed: 5, delivered: 5, inFlight: 0 });

    // Independently of the simulator's own count: the owners' order lists.
    const delivered: string[] = [];
    for (let n = 0; n < castSize(options).restaurants; n++) {
      const login = await http('POST', `${stack.gatewayUrl}/api/auth/login`, {
        body: { email: castEmail(cast, 'restaurant_owner', n), password: SIMULATED_PASSWORD },
      });
      const orders = await http('GET', `${stack.gatewayUrl}/api/orders?pageSize=100`, {
        token: login.body.accessToken,
      });
      for (const order of orders.body.data) {
        expect(order.status).toBe('delivered');
        expect(order.payment.status).toBe('captured');
        delivered.push(order.id);
      }
    }
    expect(delivered.sort()).toEqual([...report.deliveredOrderIds].sort());
  }, 90_000);
});

describe('the soak', () => {
  it('when it runs its short version, then orders and reads meet no error and every process’s memory is sampled and judged', async () => {
    const names: ProcessName[] = ['user', 'restaurant', 'order', 'delivery', 'gateway'];
    const report = await soak({
      gatewayUrl: stack.gatewayUrl,
      processes: Object.fromEntries(names.map((name) => [name, stack.url(name)])),
      minutes: 0.75,
      rate: 1,
      readsPerS: 5,
      ...soakTiming(0.75),
      simulation: { ...quick, cast: `soak-${randomUUID().slice(0, 8)}` },
    });

    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ errors: 0, readErrors: 0, passed: true });
    expect(report.simulation.placed).toBeGreaterThan(0);
    expect(report.simulation.delivered).toBe(report.simulation.placed);
    expect(report.reads).toBeGreaterThan(0);
    expect(report.memory.map((m) => m.process)).toEqual(names);
    for (const m of report.memory) {
      expect(m.first?.rssBytes).toBeGreaterThan(0);
      expect(m.last!.atS).toBeGreaterThan(m.first!.atS);
      expect(m.end.heapUsedBytes).toBeGreaterThan(0);
    }
  }, 120_000);
});
