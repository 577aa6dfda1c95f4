import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, http } from '@foodflow/platform/testing';
import { dashboards, prometheusQueries } from '../ops/lib/dashboards.js';
import { metricNamesIn, withGrafanaVariablesResolved } from '../ops/lib/promql.js';
import { EXTERNAL_METRICS } from '../ops/lib/registered-metrics.js';
import { type ProcessName, startStack, type Stack } from '../system/stack.js';
import { type Account, CITY, openRestaurant, placeOrder, register, saveAddress, setStatus } from '../system/support.js';
import { type RunningPrometheus, startPrometheus } from './prometheus.js';

/**
 * Every dashboard panel against real data: the whole stack runs as processes, Debian's Prometheus
 * scrapes it with the Compose configuration (every second instead of every 15), people order,
 * cancel and get their orders delivered through the gateway, and then every panel's query, with
 * Grafana's variables filled in as Grafana would for "All" over the last hour, must return data.
 */

const SCRAPE_SECONDS = 1;
/** Kong and RabbitMQ's Prometheus plugin do not run here: their panels are checked statically only. */
const notRunningHere = new Set([...EXTERNAL_METRICS['kong']!, ...EXTERNAL_METRICS['rabbitmq']!]);

const queries = dashboards.flatMap(({ dashboard }) => prometheusQueries(dashboard));
const liveQueries = queries.filter(({ expr }) => !metricNamesIn(expr).some((name) => notRunningHere.has(name)));

const composeNames: Record<string, ProcessName> = {
  'user-service': 'user',
  'restaurant-service': 'restaurant',
  'order-service': 'order',
  'delivery-service': 'delivery',
};

let stack: Stack;
let prometheus: RunningPrometheus & { dropped: string[] };

beforeAll(async () => {
  stack = await startStack();
  const services = Object.fromEntries(
    Object.entries(composeNames).map(([name, process]) => [name, new URL(stack.url(process)).host]),
  );
  prometheus = await startPrometheus({ services, intervalSeconds: SCRAPE_SECONDS });
}, 120_000);

afterAll(async () => {
  await prometheus?.stop();
  await stack?.stop();
});

/** The sum of a counter as Prometheus last scraped it. */
const scraped = async (expr: string): Promise<number> => (await prometheus.query(`sum(${expr})`))[0]?.value ?? 0;

/** Waits until Prometheus has scraped a counter at `at least` (so the next queries see the story so far). */
const untilScraped = (expr: string, atLeast: number): Promise<true> =>
  eventually(async () => ((await scraped(expr)) >= atLeast ? true : undefined), 20_000, 200);

/** Waits until Prometheus has scraped every service at least once after `seconds` (a Unix time). */
const untilEveryServiceScrapedAfter = (seconds: number): Promise<true> =>
  eventually(
    async () => {
      const scrapes = await prometheus.query('timestamp(up{job="foodflow-services"})');
      return scrapes.length === Object.keys(composeNames).length && scrapes.every((s) => s.value > seconds)
        ? true
        : undefined;
    },
    20_000,
    200,
  );

/** The driver's part: online near the restaurant, assigned, picks the order up and hands it over. */
async function deliver(api: string, driver: Account, orderId: string, customer: Account): Promise<void> {
  const online = await http('PUT', `${api}/api/drivers/availability`, {
    token: driver.token,
    body: { online: true, location: { lat: CITY.lat + 0.001, lng: CITY.lng } },
  });
  expect(online.status).toBe(200);
  const delivery = await eventually(async () => {
    const list = await http('GET', `${api}/api/deliveries?status=assigned`, { token: driver.token });
    return (list.body.data as { id: string; orderId: string }[]).find((d) => d.orderId === orderId);
  }, 20_000);
  for (const status of ['picked_up', 'delivered']) {
    const moved = await http('PUT', `${api}/api/deliveries/${delivery.id}/status`, {
      token: driver.token,
      body: { status },
    });
    expect(moved.status).toBe(200);
    await eventually(async () => {
      const order = await http('GET', `${api}/api/orders/${orderId}`, { token: customer.token });
      return order.body.status === status ? true : undefined;
    }, 20_000);
  }
}

describe('every dashboard panel against a real Prometheus scraping the running stack', () => {
  beforeAll(async () => {
    const api = stack.gatewayUrl;
    const [owner, driver] = await Promise.all([register(api, 'restaurant_owner'), register(api, 'driver')]);
    const { restaurantId, itemIds } = await openRestaurant(api, owner);

    // A customer signs up, signs in, browses, has one order delivered and cancels another. Played twice:
    // a labelled series appears at its first count, which a rate cannot see, so the second round is
    // what the rates and increases measure.
    for (const round of [1, 2]) {
      const customer = await register(api, 'customer');
      const login = await http('POST', `${api}/api/auth/login`, {
        body: { email: customer.email, password: 'correct-horse-battery' },
      });
      expect(login.status).toBe(200);
      for (const path of [`/api/restaurants/${restaurantId}`, `/api/restaurants/${restaurantId}/menu`]) {
        expect((await http('GET', `${api}${path}`)).status).toBe(200);
        expect((await http('GET', `${api}${path}`)).status).toBe(200);
      }
      const addressId = await saveAddress(api, customer);
      const order = await placeOrder(api, customer, addressId, itemIds);
      for (const status of ['confirmed', 'preparing', 'ready']) {
        expect((await setStatus(api, owner, order.id, status)).status).toBe(200);
      }
      await deliver(api, driver, order.id, customer);
      const cancelled = await placeOrder(api, customer, addressId, itemIds);
      expect((await setStatus(api, customer, cancelled.id, 'cancelled')).status).toBe(200);

      await untilScraped('deliveries_completed_total', round);
      await untilScraped('order_status_changes_total{status="cancelled"}', round);
      await untilScraped('orders_created_total', 2 * round);
      // Every service scraped once more after the round, so each counter the round moved (registrations,
      // cache reads…) has a sample from before the next round moves it again: increases get two to compare.
      await untilEveryServiceScrapedAfter(Date.now() / 1000);
    }
  }, 120_000);

  it('when the configuration is derived from the Compose one, then only the jobs of software not running here are left out', async () => {
    expect(prometheus.dropped.sort()).toEqual(['kong', 'rabbitmq']);
    const up = await prometheus.query('up');
    expect(up.map((s) => `${s.metric['job']} ${s.value}`).sort()).toEqual([
      'foodflow-services 1',
      'foodflow-services 1',
      'foodflow-services 1',
      'foodflow-services 1',
      'prometheus 1',
    ]);
    const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: { name: string; rules: { name: string }[] }[] };
    };
    const alertNames = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
    expect(alertNames).toEqual(expect.arrayContaining(['TargetDown', 'HighLatencyP95', 'DatabasePoolNearlyFull']));
  });

  it('when queries read only Kong or RabbitMQ metrics, then they are the only ones left to the static checks', () => {
    const skipped = queries.filter((q) => !liveQueries.includes(q)).map((q) => q.where);
    expect(skipped.sort()).toEqual([
      'foodflow-errors / Kong errors by service / A',
      'foodflow-overview / Kong latency p99 / A',
      'foodflow-overview / Kong latency p99 / B',
      'foodflow-overview / Kong requests by status / A',
      'foodflow-overview / Queue depth / A',
    ]);
  });

  it.each(liveQueries.map((q) => [q.where, q.expr] as const))(
    'when %s is queried after orders were delivered, then it returns data',
    async (_where, expr) => {
      const samples = await prometheus.query(withGrafanaVariablesResolved(expr));
      expect(samples.length, expr).toBeGreaterThan(0);
      expect(
        samples.some((s) => Number.isFinite(s.value)),
        `${expr}: ${JSON.stringify(samples)}`,
      ).toBe(true);
    },
  );

  it('when the business panels are queried, then they count what the customers did', async () => {
    expect(await scraped('increase(orders_created_total[1h])')).toBeGreaterThanOrEqual(2);
    expect(await scraped('increase(deliveries_completed_total[1h])')).toBeGreaterThanOrEqual(1);
    const average = await prometheus.query(
      'sum(increase(order_value_cents_sum[1h])) / sum(increase(order_value_cents_count[1h])) / 100',
    );
    // Two dishes at 12.50 and 14.00 plus the 2.99 delivery fee.
    expect(average[0]?.value).toBeCloseTo(29.49, 1);
  });
});
