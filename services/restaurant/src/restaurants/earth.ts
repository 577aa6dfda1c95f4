/**
 * earthdistance's model of the earth, in which the `earth_location` column is computed (`ll_to_earth`): a
 * sphere of radius `earth()`, 6,378,168 m, and a point on it as the cube (x, y, z), in metres from its
 * centre. The search works out its centre and radius in this model here rather than calling `ll_to_earth`,
 * `earth_box` and `earth_distance` in SQL. Those are SQL-language functions, and the ones PostgreSQL cannot
 * inline (`gc_to_sec` inside `earth_box`, `sec_to_gc` inside `earth_distance`) it prepares again on every
 * execution of the statement calling them, and then calls through its SQL-function executor for every
 * row (measured alone, 0.88–1.6 ms of database CPU per search with them, 0.67–0.92 ms without).
 * `cube_enlarge` and `cube_distance`, which stand in for them, are C functions.
 */
const EARTH_RADIUS_M = 6_378_168;

const radians = (degrees: number): number => (degrees * Math.PI) / 180;

/** The point at `lat`, `lng` as a cube literal, as `ll_to_earth(lat, lng)` computes it. */
export function earthPoint({ lat, lng }: { lat: number; lng: number }): string {
  const x = EARTH_RADIUS_M * Math.cos(radians(lat)) * Math.cos(radians(lng));
  const y = EARTH_RADIUS_M * Math.cos(radians(lat)) * Math.sin(radians(lng));
  const z = EARTH_RADIUS_M * Math.sin(radians(lat));
  return `(${x}, ${y}, ${z})`;
}

/** The straight line through the earth between two points `surfaceM` apart along its surface (`gc_to_sec`). */
export const chordOf = (surfaceM: number): number => 2 * EARTH_RADIUS_M * Math.sin(surfaceM / (2 * EARTH_RADIUS_M));

/** The distance along the surface between two points `chordM` apart in a straight line (`sec_to_gc`). */
export const surfaceOf = (chordM: number): number =>
  2 * EARTH_RADIUS_M * Math.asin(Math.min(1, chordM / (2 * EARTH_RADIUS_M)));
