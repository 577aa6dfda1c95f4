import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './test-env.js';

export interface Place {
  lat: number;
  lng: number;
}

const COUNTER_KEY = 'test:places:next';
const ROWS = 55; // 2° of latitude apart, from 55° S to 55° N
const COLUMNS = 120; // 3° of longitude apart: at least 190 km even at 55°

/**
 * A spot on the map that no other test in this run has been given: the centre of its own cell of a grid
 * whose cells are at least 190 km apart, handed out in turn by a counter every test process shares.
 * Searches, assignments and radius queries around it see only what the test put there.
 */
export async function uniquePlace(): Promise<Place> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const index = (await redis.incr(COUNTER_KEY)) % (ROWS * COLUMNS);
    const row = Math.floor(index / COLUMNS);
    const column = index % COLUMNS;
    return { lat: -54 + row * 2, lng: -178.5 + column * 3 };
  } finally {
    redis.disconnect();
  }
}

/**
 * Somewhere in the far north, for what a test creates without caring where: kept off the grid that
 * `uniquePlace` hands out, so it never wanders into another test's neighbourhood.
 */
export function anywhere(): Place {
  return { lat: 62 + Math.random() * 8, lng: -180 + Math.random() * 360 };
}
