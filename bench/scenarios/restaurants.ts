import { startRestaurantService, MENU_RESTAURANT_ID, NYC } from '../fixtures/restaurant-service.js';
import { sample } from '../lib/measure.js';
import type { BenchContext, Load, Scenario, ScenarioOutcome } from '../lib/types.js';

/** A cached read is measured in rounds that alternate with its baselines': seven of 3 s each, per server. */
const THROUGHPUT: Load = { connections: 20, durationS: 3, warmupS: 2 };
const ROUNDS = 7;
const SEARCH_LOAD: Load = { connections: 20, durationS: 8, warmupS: 2, rate: 300 };
const SEARCH_TERMS = ['pizza', 'noodle', 'curry', 'tacos', 'sushi', 'burger', 'garden', 'golden', 'grill', 'ramen'];

const service = (context: BenchContext) => context.fixture('restaurant-service', startRestaurantService);

/** The same cached read, as fast as it goes, against bare servers sending the same bytes. */
async function cachedRead(context: BenchContext, path: string): Promise<ScenarioOutcome> {
  const { baseUrl, pid } = await service(context);
  const response = await sample(baseUrl, path);
  return {
    target: { baseUrl, path, pid },
    load: THROUGHPUT,
    rounds: ROUNDS,
    compare: 'throughput',
    baseline: { path, ...response },
  };
}

/** A search nobody asked before: a term and a point that differ on every request, so the cache never answers. */
function uncachedSearchPath(): string {
  const term = SEARCH_TERMS[Math.floor(Math.random() * SEARCH_TERMS.length)] ?? 'pizza';
  const lat = (NYC.lat + (Math.random() - 0.5) * 0.1).toFixed(6);
  const lng = (NYC.lng + (Math.random() - 0.5) * 0.1).toFixed(6);
  return `/api/restaurants?q=${term}&near=${lat},${lng}&radiusKm=5`;
}

export const scenarios: Scenario[] = [
  {
    name: 'restaurants.list',
    goal: 'ratio ≥ 0.7 vs bare Express (cached)',
    run: (context) => cachedRead(context, `/api/restaurants?near=${NYC.lat},${NYC.lng}&radiusKm=5&pageSize=20`),
  },
  {
    name: 'restaurants.menu',
    goal: 'ratio ≥ 0.7 vs bare Express (cached)',
    run: (context) => cachedRead(context, `/api/restaurants/${MENU_RESTAURANT_ID}/menu`),
  },
  {
    name: 'restaurants.search.uncached',
    goal: 'p99 ≤ 25 ms at 300 req/s over 10,000 restaurants',
    run: async (context) => {
      const { baseUrl, pid } = await service(context);
      const path = uncachedSearchPath();
      const response = await sample(baseUrl, path);
      return {
        measurement: await context.measure(
          { baseUrl, path, pid, next: () => ({ path: uncachedSearchPath() }) },
          SEARCH_LOAD,
        ),
        load: SEARCH_LOAD,
        compare: 'latency',
        baseline: { path, ...response },
      };
    },
  },
];
