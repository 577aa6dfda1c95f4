import { api } from '../api.js';
import { h } from '../dom.js';
import { dateTime, money, statusLabel } from '../format.js';
import { errorBox } from '../notify.js';
import { realtime } from '../realtime.js';
import type { Cleanup } from '../router.js';

/** A customer's orders, newest first; a notification about any of them refreshes the list. */
export function ordersScreen(outlet: HTMLElement): Cleanup {
  const list = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading your orders…'));
  outlet.append(h('section', { class: 'stack' }, h('h1', {}, 'My orders'), list));

  const load = async (): Promise<void> => {
    try {
      const page = await api.orders({ pageSize: 50 });
      list.replaceChildren(
        page.data.length === 0
          ? h('p', { class: 'empty' }, 'No orders yet. ', h('a', { href: '#/restaurants' }, 'Find something to eat'))
          : h(
              'ul',
              { class: 'stack plain' },
              page.data.map((order) =>
                h(
                  'li',
                  { class: 'card' },
                  h(
                    'a',
                    { href: `#/orders/${order.id}`, class: 'card-link row spread' },
                    h('span', {}, h('strong', {}, `Order ${order.id.slice(0, 8)}`), ` · ${dateTime(order.createdAt)}`),
                    h('span', { class: `status-pill status-${order.status}` }, statusLabel(order.status)),
                    h('span', {}, money(order.totalCents, order.currency)),
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      list.replaceChildren(errorBox(err));
    }
  };

  void load();
  return realtime.onNotification(() => void load());
}
