import type { LatLng } from './types.js';

/** The demo city (the seeded restaurants sit around it), for people without a real position to share. */
export const DEMO_CITY: LatLng = { lat: 40.7128, lng: -74.006 };

/** A few demo drop-off points near the seeded restaurants. */
export const DEMO_ADDRESSES = [
  {
    label: 'Empire State',
    street: '350 5th Ave',
    city: 'New York',
    postalCode: '10118',
    location: { lat: 40.7484, lng: -73.9857 },
  },
  {
    label: 'Washington Sq.',
    street: '1 Washington Sq N',
    city: 'New York',
    postalCode: '10003',
    location: { lat: 40.7315, lng: -73.9973 },
  },
  {
    label: 'Battery Park',
    street: '1 Battery Pl',
    city: 'New York',
    postalCode: '10004',
    location: { lat: 40.7056, lng: -74.0172 },
  },
];

const EARTH_RADIUS_KM = 6371;
const rad = (deg: number): number => (deg * Math.PI) / 180;

export function distanceKm(a: LatLng, b: LatLng): number {
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(s));
}

/** Compass bearing from a to b, 0..360 degrees clockwise from north. */
export function bearing(a: LatLng, b: LatLng): number {
  const y = Math.sin(rad(b.lng - a.lng)) * Math.cos(rad(b.lat));
  const x =
    Math.cos(rad(a.lat)) * Math.sin(rad(b.lat)) -
    Math.sin(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.cos(rad(b.lng - a.lng));
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360;
}

/** The point `km` along the straight line from a towards b, or b itself when it is closer than that. */
export function stepToward(a: LatLng, b: LatLng, km: number): LatLng {
  const total = distanceKm(a, b);
  if (total <= km) return b;
  const f = km / total;
  return { lat: a.lat + (b.lat - a.lat) * f, lng: a.lng + (b.lng - a.lng) * f };
}

/** The browser's position when it shares one within a few seconds, else the demo city. */
export function currentPosition(): Promise<{ location: LatLng; demo: boolean }> {
  const demo = { location: DEMO_CITY, demo: true };
  if (!('geolocation' in navigator)) return Promise.resolve(demo);
  return new Promise((resolve) => {
    navigator.geolocation.getCurrentPosition(
      (position) =>
        resolve({ location: { lat: position.coords.latitude, lng: position.coords.longitude }, demo: false }),
      () => resolve(demo),
      { timeout: 5000, maximumAge: 60_000 },
    );
  });
}
