import type { LatLng } from '@foodflow/platform';
import { distanceKm } from '../../../services/delivery/src/tracking/eta.js';

const toRadians = (degrees: number): number => (degrees * Math.PI) / 180;

/** Compass bearing from a to b: 0..360 degrees clockwise from north, as a driver's device reports its heading. */
export function heading(a: LatLng, b: LatLng): number {
  const y = Math.sin(toRadians(b.lng - a.lng)) * Math.cos(toRadians(b.lat));
  const x =
    Math.cos(toRadians(a.lat)) * Math.sin(toRadians(b.lat)) -
    Math.sin(toRadians(a.lat)) * Math.cos(toRadians(b.lat)) * Math.cos(toRadians(b.lng - a.lng));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

/** A point `km` from `centre` in direction `bearingDeg` (flat-earth: the simulation's distances are a few km). */
export function offset(centre: LatLng, km: number, bearingDeg: number): LatLng {
  const north = km * Math.cos(toRadians(bearingDeg));
  const east = km * Math.sin(toRadians(bearingDeg));
  return {
    lat: centre.lat + north / 111.195,
    lng: centre.lng + east / (111.195 * Math.cos(toRadians(centre.lat))),
  };
}

/** One position along a leg, with the heading and the speed a driver's device would report there. */
export interface Fix extends LatLng {
  heading: number;
  speedKmh: number;
}

/** The contract's ceiling for a reported speed. */
const MAX_SPEED_KMH = 250;

/**
 * `steps` positions evenly spaced from just after `from` to `to` itself, one every `stepMs`: the drive
 * the simulated driver reports. The speed is the one those positions imply, within the contract's range.
 */
export function leg(from: LatLng, to: LatLng, steps: number, stepMs: number): Fix[] {
  const bearing = Math.round(heading(from, to));
  const speedKmh = Math.min(MAX_SPEED_KMH, distanceKm(from, to) / steps / (stepMs / 3_600_000));
  return Array.from({ length: steps }, (_, i) => {
    const share = (i + 1) / steps;
    return {
      lat: from.lat + (to.lat - from.lat) * share,
      lng: from.lng + (to.lng - from.lng) * share,
      heading: bearing === 360 ? 0 : bearing,
      speedKmh: Math.round(speedKmh * 10) / 10,
    };
  });
}
