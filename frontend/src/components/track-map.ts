import { h, svg } from '../dom.js';
import type { LatLng } from '../types.js';

/**
 * A map drawn in SVG (no tile server is needed): the restaurant, the drop-off and the driver, projected
 * onto the box that holds them all. The view re-fits when the driver leaves it, so every point stays
 * visible without the picture jumping on each small move.
 */

const WIDTH = 640;
const HEIGHT = 400;
const PADDING = 48;
/** At least this many degrees across, so two nearby points do not fill the whole map. */
const MIN_SPAN_DEG = 0.01;
const TRAIL_LENGTH = 60;

interface Bounds {
  minLat: number;
  maxLat: number;
  minLng: number;
  maxLng: number;
}

function boundsOf(points: LatLng[]): Bounds {
  const lats = points.map((p) => p.lat);
  const lngs = points.map((p) => p.lng);
  const bounds = {
    minLat: Math.min(...lats),
    maxLat: Math.max(...lats),
    minLng: Math.min(...lngs),
    maxLng: Math.max(...lngs),
  };
  const grow = (min: number, max: number): [number, number] => {
    const missing = Math.max(0, MIN_SPAN_DEG - (max - min)) / 2;
    return [min - missing, max + missing];
  };
  [bounds.minLat, bounds.maxLat] = grow(bounds.minLat, bounds.maxLat);
  [bounds.minLng, bounds.maxLng] = grow(bounds.minLng, bounds.maxLng);
  return bounds;
}

const contains = (b: Bounds, p: LatLng): boolean =>
  p.lat >= b.minLat && p.lat <= b.maxLat && p.lng >= b.minLng && p.lng <= b.maxLng;

/** A map pin whose tip is at (0, 0), with a small white symbol drawn inside its head. */
function pin(className: string, label: string, symbol: SVGElement): SVGGElement {
  return svg(
    'g',
    { class: `pin ${className}`, role: 'img', 'aria-label': label },
    svg('title', {}, label),
    svg('path', { d: 'M0 0 C -12 -16 -14 -22 -14 -28 A 14 14 0 1 1 14 -28 C 14 -22 12 -16 0 0 Z' }),
    symbol,
  );
}

const plate = (): SVGElement => svg('circle', { class: 'symbol', cx: 0, cy: -28, r: 6 });
const house = (): SVGElement => svg('path', { class: 'symbol', d: 'M-7 -27 L0 -34 L7 -27 V-21 H-7 Z' });

export class TrackMap {
  readonly element: SVGSVGElement;
  private readonly grid = svg('g', { class: 'grid' });
  private readonly route = svg('line', { class: 'route' });
  private readonly trail = svg('polyline', { class: 'trail' });
  private readonly restaurantPin = pin('restaurant-pin', 'Restaurant', plate());
  private readonly destinationPin = pin('destination-pin', 'Delivery address', house());
  private readonly driverMarker = svg(
    'g',
    { class: 'driver-marker', role: 'img', 'aria-label': 'Driver', visibility: 'hidden' },
    svg('title', {}, 'Driver'),
    svg('circle', { r: 16, class: 'halo' }),
    svg('circle', { r: 9, class: 'body' }),
    svg('path', { class: 'heading', d: 'M0 -15 L5 -8 L-5 -8 Z' }),
  );
  private bounds: Bounds | null = null;
  private driverPath: LatLng[] = [];
  private heading: number | null = null;

  constructor(
    private readonly restaurant: LatLng,
    private readonly destination: LatLng,
  ) {
    this.element = svg(
      'svg',
      {
        class: 'track-map',
        viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
        role: 'group',
        'aria-label': 'Delivery map',
        preserveAspectRatio: 'xMidYMid meet',
      },
      svg('rect', { class: 'land', width: WIDTH, height: HEIGHT }),
      this.grid,
      this.route,
      this.trail,
      this.restaurantPin,
      this.destinationPin,
      this.driverMarker,
    );
    this.draw();
  }

  /** Moves the driver; `heading` in degrees clockwise from north, when the driver's device knows it. */
  moveDriver(location: LatLng, heading: number | null = null): void {
    this.driverPath = [...this.driverPath, location].slice(-TRAIL_LENGTH);
    this.heading = heading;
    if (this.bounds && !contains(this.bounds, location)) this.bounds = null;
    this.draw();
  }

  /** How the current bounds map onto the picture: degrees to pixels, keeping true proportions. */
  private frame() {
    const b = this.bounds ?? boundsOf([this.restaurant, this.destination, ...this.driverPath]);
    // Longitude degrees shrink with latitude: scale them so the map keeps true proportions.
    const lngScale = Math.cos(((b.minLat + b.maxLat) / 2) * (Math.PI / 180));
    const spanX = (b.maxLng - b.minLng) * lngScale;
    const spanY = b.maxLat - b.minLat;
    const scale = Math.min((WIDTH - 2 * PADDING) / spanX, (HEIGHT - 2 * PADDING) / spanY);
    return { b, lngScale, scale, offsetX: (WIDTH - spanX * scale) / 2, offsetY: (HEIGHT - spanY * scale) / 2 };
  }

  private project(point: LatLng): { x: number; y: number } {
    const { b, lngScale, scale, offsetX, offsetY } = this.frame();
    return {
      x: offsetX + (point.lng - b.minLng) * lngScale * scale,
      y: offsetY + (b.maxLat - point.lat) * scale,
    };
  }

  private unproject(at: { x: number; y: number }): LatLng {
    const { b, lngScale, scale, offsetX, offsetY } = this.frame();
    return { lat: b.maxLat - (at.y - offsetY) / scale, lng: b.minLng + (at.x - offsetX) / (lngScale * scale) };
  }

  private draw(): void {
    this.bounds ??= boundsOf([this.restaurant, this.destination, ...this.driverPath]);
    const from = this.project(this.restaurant);
    const to = this.project(this.destination);
    this.place(this.restaurantPin, from);
    this.place(this.destinationPin, to);
    this.setLine(this.route, from, to);
    this.drawGrid();

    const driver = this.driverPath[this.driverPath.length - 1];
    if (!driver) return;
    const at = this.project(driver);
    this.place(this.driverMarker, at);
    this.driverMarker.setAttribute('visibility', 'visible');
    this.driverMarker.dataset['lat'] = String(driver.lat);
    this.driverMarker.dataset['lng'] = String(driver.lng);
    const arrow = this.driverMarker.querySelector('.heading');
    arrow?.setAttribute('transform', `rotate(${this.heading ?? 0})`);
    arrow?.setAttribute('visibility', this.heading === null ? 'hidden' : 'visible');
    this.trail.setAttribute(
      'points',
      this.driverPath
        .map((p) => this.project(p))
        .map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
        .join(' '),
    );
  }

  /** Street-like lines in square blocks, about six across the wider side of the points, for a sense of distance. */
  private drawGrid(): void {
    const b = this.bounds;
    if (!b) return;
    const lngScale = Math.cos(((b.minLat + b.maxLat) / 2) * (Math.PI / 180));
    const latStep = Math.max(b.maxLat - b.minLat, (b.maxLng - b.minLng) * lngScale) / 6;
    const lngStep = latStep / lngScale;
    // The view is wider or taller than the points' box: draw from its edges, not the box's.
    const topLeft = this.unproject({ x: 0, y: 0 });
    const bottomRight = this.unproject({ x: WIDTH, y: HEIGHT });
    const lines: SVGLineElement[] = [];
    for (let lat = Math.ceil(bottomRight.lat / latStep) * latStep; lat <= topLeft.lat; lat += latStep) {
      const y = this.project({ lat, lng: b.minLng }).y;
      lines.push(svg('line', { x1: 0, x2: WIDTH, y1: y, y2: y }));
    }
    for (let lng = Math.ceil(topLeft.lng / lngStep) * lngStep; lng <= bottomRight.lng; lng += lngStep) {
      const x = this.project({ lat: b.minLat, lng }).x;
      lines.push(svg('line', { x1: x, x2: x, y1: 0, y2: HEIGHT }));
    }
    this.grid.replaceChildren(...lines);
  }

  private place(element: SVGGElement, at: { x: number; y: number }): void {
    element.setAttribute('transform', `translate(${at.x.toFixed(1)} ${at.y.toFixed(1)})`);
  }

  private setLine(line: SVGLineElement, from: { x: number; y: number }, to: { x: number; y: number }): void {
    line.setAttribute('x1', String(from.x));
    line.setAttribute('y1', String(from.y));
    line.setAttribute('x2', String(to.x));
    line.setAttribute('y2', String(to.y));
  }
}

/** The key to the map's colours, in text for everyone who does not read the picture. */
export function mapLegend(destination = 'Delivery address'): HTMLElement {
  return h(
    'p',
    { class: 'map-legend' },
    h('span', { class: 'legend-restaurant' }, 'Restaurant'),
    h('span', { class: 'legend-destination' }, destination),
    h('span', { class: 'legend-driver' }, 'Driver'),
  );
}
