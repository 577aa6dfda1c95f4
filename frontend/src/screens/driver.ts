import { api, ApiError } from '../api.js';
import { mapLegend, TrackMap } from '../components/track-map.js';
import { busy, h } from '../dom.js';
import { money, statusLabel } from '../format.js';
import { bearing, currentPosition, distanceKm, stepToward } from '../geo.js';
import { errorBox, errorMessage, toast } from '../notify.js';
import { realtime } from '../realtime.js';
import type { Cleanup } from '../router.js';
import type { Delivery, LatLng, Order } from '../types.js';

/** The simulated drive covers 50 m a second (180 km/h): fast enough to watch a whole ride in a minute or two. */
const SIMULATED_STEP_KM = 0.05;
const SIMULATED_TICK_MS = 1000;
const ONLINE_KEY = 'foodflow.driver.online';

/** Where the driver is headed: the restaurant until pickup, then the customer. */
const targetOf = (delivery: Delivery): LatLng => (delivery.status === 'assigned' ? delivery.pickup : delivery.dropoff);

export function driverScreen(outlet: HTMLElement): Cleanup {
  let online = sessionStorage.getItem(ONLINE_KEY) === 'true';
  let position: LatLng | null = null;
  let delivery: Delivery | null = null;
  let map: TrackMap | null = null;
  let drive: ReturnType<typeof setInterval> | null = null;
  let shownState = '';

  const presence = h('p', { id: 'driver-presence', class: 'status-badge', 'aria-live': 'polite' });
  const toggle = h('button', { type: 'button', class: 'primary big' });
  const current = h('div', { 'aria-live': 'polite' });
  outlet.append(
    h(
      'section',
      { class: 'stack' },
      h('h1', {}, 'Deliveries'),
      h('div', { class: 'card row spread' }, presence, toggle),
      h('h2', {}, 'Current delivery'),
      current,
    ),
  );

  const showPresence = (): void => {
    presence.textContent = online ? 'You are online' : 'You are offline';
    presence.dataset['online'] = String(online);
    toggle.textContent = online ? 'Go offline' : 'Go online';
  };

  const stopDrive = (): void => {
    if (drive) clearInterval(drive);
    drive = null;
  };

  const sendLocation = async (location: LatLng, extra: { heading?: number; speedKmh?: number } = {}): Promise<void> => {
    position = location;
    map?.moveDriver(location, extra.heading ?? null);
    if (delivery) await api.sendLocation(delivery.id, { ...location, ...extra });
    else if (online) await api.setAvailability(true, location);
  };

  const tick = (): void => {
    if (!delivery || !position) return stopDrive();
    const target = targetOf(delivery);
    if (distanceKm(position, target) < 0.005) return stopDrive();
    const next = stepToward(position, target, SIMULATED_STEP_KM);
    const heading = Math.round(bearing(position, next));
    sendLocation(next, { heading, speedKmh: (SIMULATED_STEP_KM * 3600_000) / SIMULATED_TICK_MS }).catch(
      (err: unknown) => {
        stopDrive();
        toast(errorMessage(err), 'error');
        render();
      },
    );
  };

  const deliveryCard = (active: Delivery, order: Order | null): HTMLElement => {
    map = new TrackMap(active.pickup, active.dropoff);
    const start = position ?? active.lastLocation;
    if (start) map.moveDriver(start);

    const step =
      active.status === 'assigned'
        ? { status: 'picked_up' as const, label: 'Picked up' }
        : { status: 'delivered' as const, label: 'Delivered' };
    const advance = h('button', { type: 'button', class: 'primary', 'data-next': step.status }, step.label);
    advance.addEventListener('click', () => {
      void busy(advance, async () => {
        try {
          stopDrive();
          await api.setDeliveryStatus(active.id, step.status);
          toast(step.status === 'delivered' ? 'Delivered. Thank you!' : 'On your way to the customer', 'success');
          await load();
        } catch (err) {
          toast(errorMessage(err), 'error');
        }
      });
    });

    const send = h('button', { type: 'button' }, 'Send my location');
    send.addEventListener('click', () => {
      void busy(send, async () => {
        try {
          const here = position ?? (await currentPosition()).location;
          await sendLocation(here);
          toast('Location sent', 'success');
        } catch (err) {
          toast(errorMessage(err), 'error');
        }
      });
    });

    const simulate = h('button', { type: 'button', 'aria-pressed': String(drive !== null) });
    simulate.textContent = drive ? 'Stop simulated drive' : 'Simulate the drive';
    simulate.addEventListener('click', () => {
      if (drive) stopDrive();
      else {
        position ??= active.lastLocation ?? active.pickup;
        drive = setInterval(tick, SIMULATED_TICK_MS);
      }
      simulate.textContent = drive ? 'Stop simulated drive' : 'Simulate the drive';
      simulate.setAttribute('aria-pressed', String(drive !== null));
    });

    return h(
      'article',
      { class: 'card stack', 'data-delivery-id': active.id },
      h(
        'div',
        { class: 'row spread' },
        h('strong', {}, `Order ${active.orderId.slice(0, 8)}`),
        h('span', { class: `status-pill status-${active.status}` }, statusLabel(active.status)),
      ),
      h(
        'p',
        {},
        active.status === 'assigned'
          ? 'Head to the restaurant to pick up the order.'
          : 'Bring the order to the customer.',
      ),
      order
        ? h(
            'p',
            { class: 'muted' },
            `${order.items.reduce((n, item) => n + item.quantity, 0)} items · ${money(order.totalCents, order.currency)} · `,
            order.payment.method === 'cash' ? 'collect cash' : 'paid by card',
            ` · to ${order.deliveryAddress.street}, ${order.deliveryAddress.city}`,
          )
        : null,
      order?.notes ? h('p', { class: 'notice' }, `Notes: ${order.notes}`) : null,
      map.element,
      mapLegend('Customer'),
      h('div', { class: 'row wrap' }, advance, send, simulate),
    );
  };

  const render = (order: Order | null = null): void => {
    current.replaceChildren(
      delivery
        ? deliveryCard(delivery, order)
        : h(
            'p',
            { class: 'empty' },
            online
              ? 'No delivery yet. Stay online: the next one near you appears here.'
              : 'Go online to receive deliveries.',
          ),
    );
  };

  const load = async (): Promise<void> => {
    try {
      const [assigned, pickedUp] = await Promise.all([api.deliveries('assigned'), api.deliveries('picked_up')]);
      delivery = pickedUp.data[0] ?? assigned.data[0] ?? null;
      if (!delivery) stopDrive();
      // A notification about what is already on screen leaves it (and the map's trail) as it is.
      const shown = `${online}:${delivery?.id}:${delivery?.status}`;
      if (shown === shownState) return;
      shownState = shown;
      // The order service learns the driver a moment after the assignment; the card works without it.
      const order = delivery
        ? await api.order(delivery.orderId).catch((err: unknown) => {
            if (err instanceof ApiError && err.status === 404) return null;
            throw err;
          })
        : null;
      render(order);
    } catch (err) {
      current.replaceChildren(errorBox(err));
    }
  };

  toggle.addEventListener('click', () => {
    void busy(toggle, async () => {
      try {
        const { location, demo } = position ? { location: position, demo: false } : await currentPosition();
        await api.setAvailability(!online, location);
        online = !online;
        position = location;
        sessionStorage.setItem(ONLINE_KEY, String(online));
        if (online && demo) toast('Location unavailable: using the demo city centre', 'info');
        showPresence();
        await load();
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
  });

  showPresence();
  void load();
  const stopListening = realtime.onNotification(() => void load());
  return () => {
    stopDrive();
    stopListening();
  };
}
