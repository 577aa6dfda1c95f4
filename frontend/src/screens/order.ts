import { api, ApiError } from '../api.js';
import { statusTimeline } from '../components/status-timeline.js';
import { mapLegend, TrackMap } from '../components/track-map.js';
import { busy, h, replaceChildren } from '../dom.js';
import { dateTime, money, statusLabel } from '../format.js';
import { errorBox, errorMessage, toast } from '../notify.js';
import { realtime } from '../realtime.js';
import type { Cleanup } from '../router.js';
import { session } from '../session.js';
import type { Order, Restaurant, Tracking } from '../types.js';

/** The ETA comes from the server; asking at most this often keeps a driver's per-second updates cheap. */
const ETA_REFRESH_MS = 10_000;
const TRACKING_RETRY_MS = 1000;
const TRACKING_RETRIES = 10;

function summary(order: Order, restaurant: Restaurant): HTMLElement {
  const address = order.deliveryAddress;
  return h(
    'section',
    { class: 'card stack' },
    h('h2', {}, 'Your order from ', h('a', { href: `#/restaurants/${restaurant.id}` }, restaurant.name)),
    h(
      'ul',
      { class: 'lines-list' },
      order.items.map((item) =>
        h('li', {}, h('span', {}, `${item.quantity} × ${item.name}`), h('span', {}, money(item.lineTotalCents))),
      ),
      h('li', { class: 'muted' }, h('span', {}, 'Delivery'), h('span', {}, money(order.deliveryFeeCents))),
      h('li', { class: 'total' }, h('span', {}, 'Total'), h('span', {}, money(order.totalCents, order.currency))),
    ),
    h(
      'p',
      { class: 'muted' },
      `Paid by ${order.payment.method === 'card' ? 'card' : 'cash'} (${order.payment.status}) · `,
      `To ${address.label}: ${address.street}, ${address.city} · Placed ${dateTime(order.createdAt)}`,
    ),
    order.notes ? h('p', { class: 'muted' }, `Notes: ${order.notes}`) : null,
  );
}

function etaText(tracking: Tracking | null, order: Order | null = null): string {
  const status = tracking?.status ?? order?.status;
  if (status === 'delivered') return 'Delivered. Enjoy your meal!';
  if (status === 'cancelled') return 'This order was cancelled.';
  if (!tracking?.driver) return 'A driver will be assigned when the food is ready.';
  const eta = tracking.etaMinutes === null ? '' : ` · arriving in about ${tracking.etaMinutes} min`;
  return `${tracking.driver.firstName} is delivering your order${eta}`;
}

export function orderScreen(outlet: HTMLElement, params: Record<string, string>): Cleanup {
  const orderId = params['id'] ?? '';
  const status = h('p', { id: 'order-status', class: 'status-badge', 'aria-live': 'polite' });
  const eta = h('p', { id: 'order-eta', class: 'eta', 'aria-live': 'polite' });
  const timeline = h('div');
  const actions = h('div', { class: 'row' });
  const mapHolder = h('div', { class: 'map-holder' });
  const details = h('div');
  const view = h('section', { class: 'stack' }, h('p', { class: 'muted' }, 'Loading your order…'));
  outlet.append(view);

  let order: Order | null = null;
  let lastEtaAt = 0;
  let map: TrackMap | null = null;
  let stopTracking: Cleanup | null = null;
  let stopCatchingUp: Cleanup | null = null;
  let left = false;

  const showOrder = (next: Order): void => {
    order = next;
    status.textContent = statusLabel(next.status);
    status.dataset['status'] = next.status;
    timeline.replaceChildren(statusTimeline(next));
    replaceChildren(actions, cancelButton(next));
  };

  const showTracking = (tracking: Tracking): void => {
    lastEtaAt = Date.now();
    eta.textContent = etaText(tracking);
    if (tracking.location) map?.moveDriver(tracking.location);
  };

  /** The tracking copy of a new order may lag its creation by a moment: a NOT_FOUND is retried a few times. */
  const refreshTracking = (retriesLeft = 0): void => {
    api.tracking(orderId).then(showTracking, (err: unknown) => {
      if (left || !(err instanceof ApiError && err.code === 'NOT_FOUND') || retriesLeft === 0) return;
      setTimeout(() => refreshTracking(retriesLeft - 1), TRACKING_RETRY_MS);
    });
  };

  const cancelButton = (current: Order): HTMLElement | null => {
    if (current.status !== 'pending' || session.get()?.user.role !== 'customer') return null;
    const button = h('button', { type: 'button', class: 'danger' }, 'Cancel order');
    button.addEventListener('click', () => {
      if (!window.confirm('Cancel this order?')) return;
      void busy(button, async () => {
        try {
          showOrder(await api.setOrderStatus(orderId, 'cancelled', 'Cancelled by the customer'));
        } catch (err) {
          toast(errorMessage(err), 'error');
        }
      });
    });
    return button;
  };

  void (async () => {
    try {
      const first = await api.order(orderId);
      const restaurant = await api.restaurant(first.restaurantId);
      if (left) return;
      map = new TrackMap(restaurant.address.location, first.deliveryAddress.location);
      mapHolder.replaceChildren(map.element, mapLegend());
      view.replaceChildren(
        h('a', { href: '#/orders', class: 'back' }, '← My orders'),
        h('h1', {}, `Order ${orderId.slice(0, 8)}`),
        status,
        eta,
        h(
          'div',
          { class: 'order-layout' },
          h('div', { class: 'card' }, mapHolder),
          h('div', { class: 'card' }, timeline, actions),
        ),
        details,
      );
      details.replaceChildren(summary(first, restaurant));
      showOrder(first);
      eta.textContent = etaText(null, first);
      refreshTracking(TRACKING_RETRIES);
      stopTracking = realtime.track(orderId, {
        onLocation: (update) => {
          map?.moveDriver(update, update.heading);
          if (Date.now() - lastEtaAt > ETA_REFRESH_MS) refreshTracking();
        },
        onStatus: (change) => {
          // The event says what changed; the order itself brings the full history and payment state.
          if (change.status !== 'assigned' && order) {
            showOrder({ ...order, status: change.status });
          }
          api.order(orderId).then(showOrder, () => undefined);
          refreshTracking();
        },
        onRefused: (code) => toast(`Live updates are unavailable for this order (${code})`, 'error'),
      });
      // Changes made while the connection was down were never pushed: catch up when it is back.
      stopCatchingUp = realtime.onConnectionChange((connected) => {
        if (!connected) return;
        api.order(orderId).then(showOrder, () => undefined);
        refreshTracking();
      });
    } catch (err) {
      view.replaceChildren(errorBox(err), h('a', { href: '#/orders' }, 'Back to my orders'));
    }
  })();

  return () => {
    left = true;
    stopTracking?.();
    stopCatchingUp?.();
  };
}
