import type { LatLng } from '@foodflow/platform';

const EARTH_RADIUS_KM = 6371.0088;
const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Great-circle distance (haversine). */
export function distanceKm(a: LatLng, b: LatLng): number {
  const dLat = toRadians(b.lat - a.lat);
  const dLng = toRadians(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(toRadians(a.lat)) * Math.cos(toRadians(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Below this a reported speed means "waiting at a light", not a pace to extrapolate. */
const MIN_MOVING_SPEED_KMH = 5;

/**
 * Minutes left along the legs still to ride (to the restaurant, then to the customer, or only the
 * latter once picked up): the driver's reported speed when they are moving, else the average speed.
 */
export function etaMinutes(legs: LatLng[], speedKmh: number | null, averageSpeedKmh: number): number {
  let km = 0;
  for (let i = 1; i < legs.length; i += 1) km += distanceKm(legs[i - 1]!, legs[i]!);
  const speed = speedKmh !== null && speedKmh >= MIN_MOVING_SPEED_KMH ? speedKmh : averageSpeedKmh;
  return Math.ceil((km / speed) * 60);
}
