import { api } from '../api.js';
import { busy, h } from '../dom.js';
import { dateTime, money, statusLabel } from '../format.js';
import { errorBox, errorMessage, toast } from '../notify.js';
import { realtime } from '../realtime.js';
import type { Cleanup } from '../router.js';
import type { Order, OrderStatus } from '../types.js';

/** The moves a restaurant makes; pickup and delivery belong to the driver. */
const NEXT_STEPS: Partial<Record<OrderStatus, { status: OrderStatus; label: string }[]>> = {
  pending: [
    { status: 'confirmed', label: 'Confirm' },
    { status: 'cancelled', label: 'Reject' },
  ],
  confirmed: [
    { status: 'preparing', label: 'Start preparing' },
    { status: 'cancelled', label: 'Cancel' },
  ],
  preparing: [
    { status: 'ready', label: 'Mark ready' },
    { status: 'cancelled', label: 'Cancel' },
  ],
};

const ACTIVE: OrderStatus[] = ['pending', 'confirmed', 'preparing', 'ready', 'picked_up'];

function orderCard(order: Order, onChanged: (order: Order) => void): HTMLElement {
  const buttons = (NEXT_STEPS[order.status] ?? []).map(({ status, label }) => {
    const button = h(
      'button',
      { type: 'button', class: status === 'cancelled' ? 'danger' : 'primary', 'data-next': status },
      label,
    );
    button.addEventListener('click', () => {
      const reason = status === 'cancelled' ? window.prompt('Reason for the customer (optional)') : undefined;
      if (reason === null) return;
      void busy(button, async () => {
        try {
          onChanged(await api.setOrderStatus(order.id, status, reason || undefined));
        } catch (err) {
          toast(errorMessage(err), 'error');
        }
      });
    });
    return button;
  });
  return h(
    'li',
    { class: 'card stack owner-order', 'data-order-id': order.id },
    h(
      'div',
      { class: 'row spread' },
      h('strong', {}, `Order ${order.id.slice(0, 8)}`),
      h('span', { class: `status-pill status-${order.status}` }, statusLabel(order.status)),
    ),
    h(
      'p',
      { class: 'muted' },
      `${dateTime(order.createdAt)} · ${money(order.totalCents, order.currency)} · ${order.payment.method}`,
    ),
    h(
      'ul',
      { class: 'plain' },
      order.items.map((item) => h('li', {}, `${item.quantity} × ${item.name}`)),
    ),
    order.notes ? h('p', { class: 'notice' }, `Notes: ${order.notes}`) : null,
    buttons.length ? h('div', { class: 'row' }, buttons) : null,
  );
}

export function ownerScreen(outlet: HTMLElement): Cleanup {
  let showAll = false;
  const list = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading orders…'));
  const toggle = h('label', { class: 'check' }, h('input', { type: 'checkbox' }), 'Show finished orders too');
  toggle.addEventListener('change', (event) => {
    showAll = (event.target as HTMLInputElement).checked;
    void load();
  });
  const reload = h('button', { type: 'button' }, 'Refresh');
  reload.addEventListener('click', () => void busy(reload, load));
  outlet.append(
    h(
      'section',
      { class: 'stack' },
      h('div', { class: 'row spread' }, h('h1', {}, 'Incoming orders'), h('div', { class: 'row' }, toggle, reload)),
      list,
    ),
  );

  const load = async (): Promise<void> => {
    try {
      const page = await api.orders({ pageSize: 100 });
      const orders = page.data.filter((order) => showAll || ACTIVE.includes(order.status));
      list.replaceChildren(
        orders.length === 0
          ? h('p', { class: 'empty' }, 'No orders to handle right now. New ones appear here as they arrive.')
          : h(
              'ul',
              { class: 'grid plain' },
              orders.map((order) => orderCard(order, () => void load())),
            ),
      );
    } catch (err) {
      list.replaceChildren(errorBox(err));
    }
  };

  void load();
  return realtime.onNotification(() => void load());
}
