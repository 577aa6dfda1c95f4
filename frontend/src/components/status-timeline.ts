import { h } from '../dom.js';
import { statusLabel, time } from '../format.js';
import { ORDER_FLOW, type Order } from '../types.js';

/** The order's way from placed to delivered, each step with the time it was reached. */
export function statusTimeline(order: Order): HTMLElement {
  const reached = new Map(order.statusHistory.map((entry) => [entry.status, entry.at]));
  const cancelled = order.status === 'cancelled';
  const currentIndex = ORDER_FLOW.indexOf(order.status as (typeof ORDER_FLOW)[number]);
  const steps = ORDER_FLOW.filter((status) => !cancelled || reached.has(status));
  return h(
    'ol',
    { class: 'timeline', 'aria-label': 'Order progress' },
    steps.map((status, i) => {
      const at = reached.get(status);
      const state = cancelled || i < currentIndex ? 'done' : i === currentIndex ? 'current' : 'todo';
      return h(
        'li',
        { class: `step ${state}`, 'aria-current': state === 'current' ? 'step' : null },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        h('span', { class: 'label' }, statusLabel(status)),
        at ? h('time', { datetime: at }, time(at)) : null,
      );
    }),
    cancelled
      ? h(
          'li',
          { class: 'step cancelled current', 'aria-current': 'step' },
          h('span', { class: 'dot', 'aria-hidden': 'true' }),
          h('span', { class: 'label' }, statusLabel('cancelled')),
          reached.get('cancelled') ? h('time', {}, time(reached.get('cancelled') ?? '')) : null,
        )
      : null,
  );
}
