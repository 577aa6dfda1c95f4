import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '../../../tests/setup/test-env.js';
import { chordOf, earthPoint, surfaceOf } from '../src/restaurants/earth.js';

let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: testEnv('restaurants_service').DATABASE_URL });
  await client.connect();
});
afterAll(() => client.end());

/** Points all over the globe, poles and the date line included, and the city centres the tests use. */
const points = [
  { lat: 40.7128, lng: -74.006 },
  { lat: 52.52, lng: 13.405 },
  { lat: -33.8688, lng: 151.2093 },
  { lat: 90, lng: 0 },
  { lat: -90, lng: 180 },
  { lat: 0, lng: -180 },
  ...Array.from({ length: 50 }, (_, i) => ({ lat: -89 + ((i * 37) % 179), lng: -179 + ((i * 113) % 359) + 0.123 })),
];

const coordinates = (cube: string): number[] =>
  cube
    .replace(/[()\s]/g, '')
    .split(',')
    .map(Number);

describe("earthdistance's model, worked out in the service", () => {
  it("when a point is placed on the earth, then it is where PostgreSQL's ll_to_earth puts it", async () => {
    const { rows } = await client.query<{ cube: string }>(
      'SELECT ll_to_earth(lat, lng)::text AS cube FROM unnest($1::float8[], $2::float8[]) AS p(lat, lng)',
      [points.map((p) => p.lat), points.map((p) => p.lng)],
    );
    for (const [i, point] of points.entries()) {
      const ours = coordinates(earthPoint(point));
      const theirs = coordinates((rows[i] as { cube: string }).cube);
      expect(ours).toHaveLength(3);
      // Within a micrometre: the last bits of a sine may differ between two maths libraries.
      for (const [axis, value] of ours.entries()) expect(Math.abs(value - (theirs[axis] as number))).toBeLessThan(1e-6);
    }
  });

  it('when a distance along the surface becomes a chord and back, then both agree with gc_to_sec and sec_to_gc', async () => {
    const distances = [1, 250, 5000, 10_000, 50_000, 1_000_000, 20_000_000];
    const { rows } = await client.query<{ chord: number; surface: number }>(
      'SELECT gc_to_sec(d) AS chord, sec_to_gc(gc_to_sec(d)) AS surface FROM unnest($1::float8[]) AS d',
      [distances],
    );
    for (const [i, distance] of distances.entries()) {
      const { chord, surface } = rows[i] as { chord: number; surface: number };
      expect(chordOf(distance)).toBeCloseTo(chord, 6);
      expect(surfaceOf(chordOf(distance))).toBeCloseTo(surface, 6);
      expect(surfaceOf(chordOf(distance))).toBeCloseTo(distance, 4);
    }
  });

  it('when two points are compared, then the chord between them gives the distance earth_distance gives', async () => {
    const pairs = points.slice(0, -1).map((from, i) => [from, points[i + 1] as typeof from] as const);
    const { rows } = await client.query<{ chord: number; surface: number }>(
      `SELECT cube_distance(a::cube, b::cube) AS chord, earth_distance(a::earth, b::earth) AS surface
       FROM unnest($1::text[], $2::text[]) AS p(a, b)`,
      [pairs.map(([a]) => earthPoint(a)), pairs.map(([, b]) => earthPoint(b))],
    );
    for (const row of rows) expect(surfaceOf(row.chord)).toBeCloseTo(row.surface, 4);
  });
});
