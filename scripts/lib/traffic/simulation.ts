import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'socket.io-client';
import type { LatLng } from '@foodflow/platform';
import { GatewayClient } from './client.js';
import {
  type Account,
  CITY,
  connectSocket,
  expectStatus,
  openRestaurant,
  type Person,
  placeOrder,
  register,
  saveAddress,
  type SelfServiceRole,
  setStatus,
} from './journey.js';
import { leg, offset } from './route.js';

/**
 * The traffic simulator: customers order, owners move their orders along, drivers go online, drive to
 * the restaurant and on to the customer reporting their positions, all through the gateway and the
 * public contract, at a chosen rate, until a count or a time is reached or the run is stopped.
 */

export interface SimulationOptions {
  gatewayUrl: string;
  /** Orders started per second. */
  rate: number;
  /** Orders started at most. */
  orders: number;
  /** How long orders are started for at most; those under way then get `drainS` more to finish. */
  minutes: number;
  /** Positions a driver reports on each leg of a delivery, one every `stepMs`. */
  legSteps: number;
  stepMs: number;
  /** The owner's pause before each of confirmed, preparing and ready. */
  kitchenMs: number;
  drainS: number;
  /** Account emails are `<cast>-<role>-<n>@simulator.foodflow.local`: a later run with the same cast reuses them. */
  cast: string;
  /** Called about once a second, and once at the end. */
  onProgress?: (progress: Progress) => void;
}

export const DEFAULTS = {
  rate: 1,
  orders: 50,
  minutes: 5,
  legSteps: 8,
  stepMs: 1000,
  kitchenMs: 1500,
  drainS: 120,
  cast: 'sim',
} as const;

export interface Progress {
  elapsedS: number;
  placed: number;
  delivered: number;
  /** Steps that failed (a checkout, an owner's or a driver's step, a read): one each, whatever came of the order. */
  failed: number;
  inFlight: number;
  requests: number;
  throttled: number;
  /** Positions the drivers reported. */
  positions: number;
}

export interface SimulationReport extends Progress {
  /** Orders still under way when the run ended (stopped, or out of time): not failures. */
  unfinished: number;
  /** What went wrong, one line each (the first of each kind), for the summary. */
  errors: string[];
  /** Placed to delivered, in seconds (mean and slowest). */
  meanOrderS: number;
  slowestOrderS: number;
  /** The delivered orders' ids, for whoever wants to check them. */
  deliveredOrderIds: string[];
}

interface Restaurant {
  id: string;
  itemIds: string[];
  owner: Account;
  location: LatLng;
}

interface Customer {
  account: Account;
  addressId: string;
  /** A cart is filled by one checkout at a time. */
  busy: boolean;
}

/** The people of one run: their accounts (reused from an earlier run of the same cast), places and sockets. */
interface Cast {
  customers: Customer[];
  restaurants: Restaurant[];
  drivers: Driver[];
}

/** Every simulated account's password: whoever wants to look at a run signs in as one of its people. */
export const SIMULATED_PASSWORD = 'Simulated123!';
const STOPPED = 'stopped';

export const castEmail = (cast: string, role: SelfServiceRole, n: number): string =>
  `${cast}-${role.replace('_', '-')}-${n}@simulator.foodflow.local`;

/**
 * How many of each: enough customers, restaurants and drivers for the rate that none of them is asked
 * for more than a person would do, nor more than the gateway's 100 requests a minute per user.
 */
export function castSize(options: Pick<SimulationOptions, 'rate' | 'orders' | 'legSteps' | 'stepMs'>): {
  customers: number;
  restaurants: number;
  drivers: number;
} {
  const driveS = (2 * options.legSteps * options.stepMs) / 1000;
  const atMost = (n: number): number => Math.min(options.orders, n);
  return {
    customers: atMost(Math.max(3, Math.ceil(options.rate * 15))),
    restaurants: atMost(Math.max(2, Math.ceil(options.rate * 4))),
    drivers: atMost(Math.max(2, Math.ceil(options.rate * driveS * 1.5) + 1)),
  };
}

/** Restaurants and homes in a ring around the city centre, so routes cross the demo map. */
const placeAround = (i: number, count: number, km: number): LatLng => offset(CITY, km, (360 * i) / count);

export class Simulation {
  private readonly controller = new AbortController();
  private readonly client: GatewayClient;
  private readonly signal: AbortSignal;
  private readonly startedAt = Date.now();
  private readonly deliveredBy = new Map<string, () => void>();
  private readonly errorKinds = new Map<string, string>();
  private placed = 0;
  private delivered = 0;
  private failed = 0;
  private inFlight = 0;
  positions = 0;
  private readonly durationsS: number[] = [];
  private readonly deliveredOrderIds: string[] = [];
  private cast: Cast | undefined;

  constructor(private readonly options: SimulationOptions) {
    this.signal = this.controller.signal;
    // Every actor's pause waits on this one signal.
    setMaxListeners(0, this.signal);
    this.client = new GatewayClient(options.gatewayUrl, this.signal);
  }

  /** Ends the run early (Ctrl-C): no new orders, every actor stops at its next step. */
  stop(): void {
    this.controller.abort(new Error(STOPPED));
  }

  get stopped(): boolean {
    return this.signal.aborted;
  }

  progress(): Progress {
    return {
      elapsedS: (Date.now() - this.startedAt) / 1000,
      placed: this.placed,
      delivered: this.delivered,
      failed: this.failed,
      inFlight: this.inFlight,
      requests: this.client.requests,
      throttled: this.client.throttled,
      positions: this.positions,
    };
  }

  /** Counts a failure once, keeping the first message of each kind (its step and status). */
  recordError(err: unknown): void {
    this.failed += 1;
    const message = err instanceof Error ? err.message : String(err);
    // The step and the status ("owner confirmed: 409"), without the body or the ids.
    const kind = message.replace(/[{:].*$/s, '');
    if (!this.errorKinds.has(kind)) this.errorKinds.set(kind, message.slice(0, 300));
  }

  async run(): Promise<SimulationReport> {
    const ticker = setInterval(() => this.options.onProgress?.(this.progress()), 1000);
    const refresher = setInterval(() => void this.refreshSessions(), SESSION_REFRESH_MS);
    let unfinished: number | undefined;
    try {
      this.cast = await this.assemble();
      for (const driver of this.cast.drivers) void driver.start();
      await this.playOrders(this.cast);
      unfinished = this.inFlight;
    } catch (err) {
      if (!this.stopped) this.recordError(err);
    } finally {
      clearInterval(ticker);
      clearInterval(refresher);
      // Counted before the stop: the orders still under way then end at their next step.
      unfinished ??= this.inFlight;
      this.stop();
      await Promise.all((this.cast?.drivers ?? []).map((driver) => driver.finish()));
    }
    this.options.onProgress?.(this.progress());
    const sum = this.durationsS.reduce((total, s) => total + s, 0);
    return {
      ...this.progress(),
      unfinished,
      errors: [...this.errorKinds.values()],
      meanOrderS: this.durationsS.length > 0 ? sum / this.durationsS.length : 0,
      slowestOrderS: Math.max(0, ...this.durationsS),
      deliveredOrderIds: this.deliveredOrderIds,
    };
  }

  /** Starts orders at the chosen rate until the count or the time is reached, then lets those under way finish. */
  private async playOrders(cast: Cast): Promise<void> {
    const { rate, orders, minutes, drainS } = this.options;
    const until = this.startedAt + minutes * 60_000;
    const intervalMs = 1000 / rate;
    const playing = new Set<Promise<void>>();
    const firstAt = Date.now();
    for (let n = 0; n < orders && !this.stopped; n++) {
      const dueAt = firstAt + n * intervalMs;
      if (dueAt > until) break;
      await this.pause(dueAt - Date.now());
      if (this.stopped) break;
      const play = this.playOrder(cast, n).finally(() => playing.delete(play));
      playing.add(play);
    }
    const drained = Promise.all(playing);
    await Promise.race([drained, this.pause(drainS * 1000)]);
  }

  /** One order's whole life: checkout, the kitchen's three steps, the drive, and the customer seeing it delivered. */
  private async playOrder(cast: Cast, n: number): Promise<void> {
    const restaurant = cast.restaurants[n % cast.restaurants.length] as Restaurant;
    this.inFlight += 1;
    try {
      const customer = await this.freeCustomer(cast);
      let orderId: string;
      try {
        const items = restaurant.itemIds.slice(0, 1 + (n % restaurant.itemIds.length));
        orderId = (await placeOrder(this.client, customer.account, customer.addressId, items)).id;
      } finally {
        customer.busy = false;
      }
      this.placed += 1;
      const placedAt = Date.now();
      const deliveredByDriver = new Promise<void>((resolve) => this.deliveredBy.set(orderId, resolve));
      for (const status of ['confirmed', 'preparing', 'ready']) {
        await this.pause(this.options.kitchenMs);
        expectStatus(`owner ${status}`, await setStatus(this.client, restaurant.owner, orderId, status), 200);
      }
      try {
        await this.follow(customer.account, orderId, deliveredByDriver);
      } finally {
        this.deliveredBy.delete(orderId);
      }
      this.delivered += 1;
      this.durationsS.push((Date.now() - placedAt) / 1000);
      this.deliveredOrderIds.push(orderId);
    } catch (err) {
      if (!this.stopped) this.recordError(err);
    } finally {
      this.inFlight -= 1;
    }
  }

  /**
   * The customer watches their order as the app would (its tracking every few seconds) until the driver
   * has delivered it, then until the order itself says `delivered` (the order service learns it from the
   * delivery's event).
   */
  private async follow(customer: Account, orderId: string, deliveredByDriver: Promise<void>): Promise<void> {
    let handedOver = false;
    void deliveredByDriver.then(() => {
      handedOver = true;
    });
    const giveUpAt = Date.now() + (this.options.drainS + 60) * 1000;
    while (Date.now() < giveUpAt) {
      const path = handedOver ? `/api/orders/${orderId}` : `/api/tracking/${orderId}`;
      const seen = expectStatus(
        `customer reads ${path.split('/')[2]}`,
        await this.client.send('GET', path, { token: customer.token }),
        200,
      );
      if (handedOver && seen.status === 'delivered') return;
      await Promise.race([this.pause(handedOver ? 250 : TRACKING_READ_MS), deliveredByDriver]);
      if (this.stopped) throw new Error(STOPPED);
    }
    throw new Error(`order not delivered: ${orderId} after ${this.options.drainS + 60} s`);
  }

  /** A customer not checking out right now (one checkout per cart at a time). */
  private async freeCustomer(cast: Cast): Promise<Customer> {
    for (;;) {
      const free = cast.customers.find((c) => !c.busy);
      if (free) {
        free.busy = true;
        return free;
      }
      await this.pause(50);
      if (this.stopped) throw new Error(STOPPED);
    }
  }

  /** Resolves after `ms`, or at once when the run stops. */
  pause(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return sleep(ms, undefined, { signal: this.signal }).catch(() => undefined);
  }

  /** Called by a driver who delivered an order of this run. */
  handedOver(orderId: string): void {
    this.deliveredBy.get(orderId)?.();
    this.deliveredBy.delete(orderId);
  }

  /** Exchanges every account's refresh token for a new pair (the tokens are replaced in place). */
  private async refreshSessions(): Promise<void> {
    const cast = this.cast;
    if (!cast) return;
    const accounts = [
      ...cast.customers.map((c) => c.account),
      ...new Set(cast.restaurants.map((r) => r.owner)),
      ...cast.drivers.map((d) => d.account),
    ];
    for (const account of accounts) {
      try {
        const res = await this.client.send('POST', '/api/auth/refresh', {
          body: { refreshToken: account.refreshToken },
        });
        const pair = expectStatus('refresh', res, 200);
        account.token = pair.accessToken;
        account.refreshToken = pair.refreshToken;
      } catch (err) {
        if (!this.stopped) this.recordError(err);
      }
    }
  }

  private async assemble(): Promise<Cast> {
    const size = castSize(this.options);
    const restaurants: Restaurant[] = [];
    for (let i = 0; i < size.restaurants && !this.stopped; i++)
      restaurants.push(await this.restaurant(i, size.restaurants));
    const customers: Customer[] = [];
    for (let i = 0; i < size.customers && !this.stopped; i++) customers.push(await this.customer(i, size.customers));
    const drivers: Driver[] = [];
    for (let i = 0; i < size.drivers && !this.stopped; i++) {
      const account = await this.account('driver', i);
      drivers.push(new Driver(account, placeAround(i, size.drivers, 1.5), this.client, this, this.options));
    }
    return { customers, restaurants, drivers };
  }

  /** Registers `<cast>-<role>-<n>`, or signs in when an earlier run registered it. */
  private async account(role: SelfServiceRole, n: number): Promise<Account> {
    const person: Person = {
      email: castEmail(this.options.cast, role, n),
      password: SIMULATED_PASSWORD,
      firstName: { customer: 'Casey', restaurant_owner: 'Olive', driver: 'Dana' }[role],
      lastName: `Simulated ${n + 1}`,
    };
    try {
      return await register(this.client, role, person);
    } catch (err) {
      if (!(err instanceof Error && err.message.includes('EMAIL_TAKEN'))) throw err;
    }
    const res = await this.client.send('POST', '/api/auth/login', {
      body: { email: person.email, password: SIMULATED_PASSWORD },
    });
    const body = expectStatus(`login ${role}`, res, 200);
    return { id: body.user.id, token: body.accessToken, email: person.email, refreshToken: body.refreshToken };
  }

  private async restaurant(i: number, count: number): Promise<Restaurant> {
    const owner = await this.account('restaurant_owner', i);
    const name = `Simulated Kitchen ${i + 1} (${this.options.cast})`;
    const found = await this.client.send('GET', `/api/restaurants?q=${encodeURIComponent(name)}&pageSize=100`);
    const mine = (
      expectStatus('restaurant search', found, 200).data as {
        id: string;
        ownerId: string;
        address: { location: LatLng };
      }[]
    ).find((r) => r.ownerId === owner.id);
    if (!mine) {
      const location = placeAround(i, count, 2.5);
      const opened = await openRestaurant(this.client, owner, { name, location });
      return { id: opened.restaurantId, itemIds: opened.itemIds, owner, location };
    }
    const menu = expectStatus('menu', await this.client.send('GET', `/api/restaurants/${mine.id}/menu`), 200);
    const itemIds = (menu.categories as { items: { id: string; isAvailable: boolean }[] }[]).flatMap((c) =>
      c.items.filter((item) => item.isAvailable).map((item) => item.id),
    );
    return { id: mine.id, itemIds, owner, location: mine.address.location };
  }

  /** A customer with a saved address and an empty cart (a run stopped mid-checkout may have left one filled). */
  private async customer(i: number, count: number): Promise<Customer> {
    const account = await this.account('customer', i);
    const saved = expectStatus(
      'addresses',
      await this.client.send('GET', '/api/users/addresses', { token: account.token }),
      200,
    );
    const addressId: string = saved.data[0]?.id ?? (await saveAddress(this.client, account, placeAround(i, count, 4)));
    const cart = expectStatus('cart', await this.client.send('GET', '/api/cart', { token: account.token }), 200);
    for (const item of cart.items as { menuItemId: string }[]) {
      expectStatus(
        'cart',
        await this.client.send('DELETE', `/api/cart/items/${item.menuItemId}`, { token: account.token }),
        200,
      );
    }
    return { account, addressId, busy: false };
  }
}

interface Delivery {
  id: string;
  orderId: string;
  status: 'assigned' | 'picked_up';
  pickup: LatLng;
  dropoff: LatLng;
}

/** How often a customer reads their order's tracking while it is under way, as the app's map would. */
const TRACKING_READ_MS = 5000;
/** Access tokens live 15 minutes: every session is renewed well before, as the app would. */
const SESSION_REFRESH_MS = 10 * 60_000;

/** How often an idle driver looks for a delivery the socket's notification did not bring (missed, or before it). */
const IDLE_CHECK_MS = 5000;

/**
 * A driver: online near the city, told of each assignment over the socket (and looking now and then
 * anyway), who drives to the restaurant, picks up, drives to the customer and delivers, reporting a
 * position every step. Deliveries left under way by an earlier, stopped run are finished too.
 */
class Driver {
  private socket: Socket | undefined;
  private wake: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly account: Account,
    private position: LatLng,
    private readonly client: GatewayClient,
    private readonly simulation: Simulation,
    private readonly options: SimulationOptions,
  ) {}

  start(): Promise<void> {
    this.running = this.work().catch((err: unknown) => {
      if (!this.simulation.stopped) this.simulation.recordError(err);
    });
    return this.running;
  }

  private async work(): Promise<void> {
    await this.setOnline(true);
    await this.listen();
    let statuses = ['picked_up', 'assigned'];
    while (!this.simulation.stopped) {
      try {
        for (const delivery of await this.current(statuses)) await this.drive(delivery);
        // Only a stopped run, or a step that failed, leaves a delivery picked up and not delivered.
        statuses = ['assigned'];
      } catch (err) {
        // Counted, and the delivery taken up again from where the driver is at the next look.
        if (!this.simulation.stopped) this.simulation.recordError(err);
        statuses = ['picked_up', 'assigned'];
      }
      await Promise.race([
        this.simulation.pause(IDLE_CHECK_MS),
        new Promise<void>((resolve) => {
          this.wake = resolve;
        }),
      ]);
    }
  }

  /**
   * Assignments arrive as notifications on the socket. It is closed when its access token expires and
   * opened again with the renewed one; an assignment missed meanwhile is found by the idle check.
   */
  private async listen(): Promise<void> {
    this.socket = (await connectSocket(this.client.baseUrl, this.account.token)).socket;
    this.socket.on('notification', (note: { type: string }) => {
      if (note.type === 'delivery.assigned') this.wake?.();
    });
    this.socket.once('disconnect', (reason) => {
      if (reason === 'io server disconnect' && !this.simulation.stopped) {
        void this.listen().catch((err: unknown) => this.simulation.recordError(err));
      }
    });
  }

  /** The driver's deliveries in these statuses (at most one under way while the platform holds to one per driver). */
  private async current(statuses: string[]): Promise<Delivery[]> {
    const found: Delivery[] = [];
    for (const status of statuses) {
      const res = await this.client.send('GET', `/api/deliveries?status=${status}`, { token: this.account.token });
      found.push(...(expectStatus('driver deliveries', res, 200).data as Delivery[]));
    }
    return found;
  }

  private async drive(delivery: Delivery): Promise<void> {
    if (delivery.status === 'assigned') {
      await this.ride(delivery, delivery.pickup);
      await this.mark(delivery, 'picked_up');
    }
    await this.ride(delivery, delivery.dropoff);
    await this.mark(delivery, 'delivered');
    this.simulation.handedOver(delivery.orderId);
  }

  private async ride(delivery: Delivery, to: LatLng): Promise<void> {
    for (const fix of leg(this.position, to, this.options.legSteps, this.options.stepMs)) {
      await this.simulation.pause(this.options.stepMs);
      if (this.simulation.stopped) throw new Error(STOPPED);
      const res = await this.client.send('PUT', `/api/deliveries/${delivery.id}/location`, {
        token: this.account.token,
        body: fix,
      });
      expectStatus('driver location', res, 200);
      this.position = { lat: fix.lat, lng: fix.lng };
      this.simulation.positions += 1;
    }
  }

  private async mark(delivery: Delivery, status: 'picked_up' | 'delivered'): Promise<void> {
    const res = await this.client.send('PUT', `/api/deliveries/${delivery.id}/status`, {
      token: this.account.token,
      body: { status },
    });
    expectStatus(`driver ${status}`, res, 200);
  }

  private async setOnline(online: boolean): Promise<void> {
    const res = await this.client.send('PUT', '/api/drivers/availability', {
      token: this.account.token,
      body: { online, location: this.position },
    });
    expectStatus(`driver ${online ? 'online' : 'offline'}`, res, 200);
  }

  /** After the run: off the map and off the socket, whatever was under way. */
  async finish(): Promise<void> {
    this.wake?.();
    await this.running;
    this.socket?.disconnect();
    await this.setOnline(false).catch(() => undefined);
  }
}
