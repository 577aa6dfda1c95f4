import { api, ApiError } from '../api.js';
import { busy, h, replaceChildren } from '../dom.js';
import { cuisineLabel, money } from '../format.js';
import { errorBox, errorMessage, toast } from '../notify.js';
import { session } from '../session.js';
import type { Cart, MenuItem, Restaurant } from '../types.js';

function cartBar(cart: Cart | null): HTMLElement | null {
  if (!cart || cart.items.length === 0) return null;
  const count = cart.items.reduce((sum, item) => sum + item.quantity, 0);
  return h(
    'a',
    { class: 'cart-bar', href: '#/cart' },
    h('span', {}, `${count} ${count === 1 ? 'item' : 'items'} in your cart`),
    h('strong', {}, `${money(cart.subtotalCents)} · View cart`),
  );
}

/** Adds an item; a cart from another restaurant is emptied first, once the customer agrees. */
async function addItem(item: MenuItem, quantity: number): Promise<Cart | null> {
  try {
    return await api.addToCart(item.id, quantity);
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 'CART_RESTAURANT_MISMATCH')) throw err;
    if (!window.confirm(`${err.message}\n\nEmpty your cart and start a new one here?`)) return null;
    const cart = await api.cart();
    for (const line of cart.items) await api.removeFromCart(line.menuItemId);
    return api.addToCart(item.id, quantity);
  }
}

interface CartHolder {
  current: Cart | null;
  update: (cart: Cart) => void;
}

/** Adding sets a line's quantity, so what is chosen here comes on top of what the cart already holds. */
function quantityAfterAdding(cart: Cart | null, item: MenuItem, chosen: number): number {
  const inCart = cart?.items.find((line) => line.menuItemId === item.id)?.quantity ?? 0;
  return Math.min(50, inCart + Math.max(1, chosen));
}

function menuItemRow(item: MenuItem, canOrder: boolean, cart: CartHolder): HTMLElement {
  const quantity = h('input', {
    type: 'number',
    min: 1,
    max: 50,
    value: 1,
    class: 'qty',
    'aria-label': `Quantity of ${item.name}`,
  });
  const add = h('button', { type: 'button', class: 'primary', disabled: !item.isAvailable }, 'Add');
  add.setAttribute('aria-label', `Add ${item.name} to cart`);
  add.addEventListener('click', () => {
    void busy(add, async () => {
      try {
        const next = await addItem(item, quantityAfterAdding(cart.current, item, quantity.valueAsNumber || 1));
        if (!next) return;
        cart.update(next);
        toast(`Added ${item.name}`, 'success');
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
  });
  return h(
    'li',
    { class: 'menu-item' },
    h(
      'div',
      { class: 'grow' },
      h('h3', {}, item.name),
      item.description ? h('p', { class: 'muted' }, item.description) : null,
      item.isAvailable ? null : h('p', { class: 'closed' }, 'Sold out'),
    ),
    h('span', { class: 'price' }, money(item.priceCents)),
    canOrder ? h('div', { class: 'add' }, quantity, add) : null,
  );
}

export function restaurantScreen(outlet: HTMLElement, params: Record<string, string>): void {
  const id = params['id'] ?? '';
  const view = h('section', { class: 'stack' }, h('p', { class: 'muted' }, 'Loading menu…'));
  outlet.append(view);
  const role = session.get()?.user.role;
  const canOrder = role === 'customer';

  void (async () => {
    try {
      const [restaurant, menu, cart] = await Promise.all([
        api.restaurant(id),
        api.menu(id),
        canOrder ? api.cart() : Promise.resolve(null),
      ]);
      const bar = h('div', { 'aria-live': 'polite' }, cartBar(cart));
      const holder: CartHolder = {
        current: cart,
        update: (next) => {
          holder.current = next;
          bar.replaceChildren(cartBar(next) ?? '');
        },
      };
      replaceChildren(
        view,
        header(restaurant),
        restaurant.isOpen ? null : h('p', { class: 'alert' }, 'This restaurant is closed right now.'),
        role ? null : h('p', { class: 'notice' }, h('a', { href: '#/login' }, 'Sign in'), ' as a customer to order.'),
        menu.categories.length === 0 ? h('p', { class: 'empty' }, 'No dishes yet.') : null,
        menu.categories.map((category) =>
          h(
            'section',
            { class: 'card' },
            h('h2', {}, category.name),
            h(
              'ul',
              { class: 'menu' },
              category.items.map((item) => menuItemRow(item, canOrder, holder)),
            ),
          ),
        ),
        bar,
      );
    } catch (err) {
      view.replaceChildren(errorBox(err), h('a', { href: '#/restaurants' }, 'Back to restaurants'));
    }
  })();
}

function header(restaurant: Restaurant): HTMLElement {
  return h(
    'header',
    { class: 'page-head' },
    h('a', { href: '#/restaurants', class: 'back' }, '← All restaurants'),
    h('h1', {}, restaurant.name),
    h(
      'p',
      { class: 'meta' },
      h('span', { class: 'tag' }, cuisineLabel(restaurant.cuisine)),
      h('span', {}, `★ ${restaurant.rating.toFixed(1)}`),
      h('span', { class: restaurant.isOpen ? 'open' : 'closed' }, restaurant.isOpen ? 'Open now' : 'Closed'),
      h('span', {}, `Delivery ${money(restaurant.deliveryFeeCents)}`),
      h('span', {}, `Minimum ${money(restaurant.minOrderCents)}`),
    ),
    restaurant.description ? h('p', { class: 'muted' }, restaurant.description) : null,
    h('p', { class: 'muted' }, `${restaurant.address.street}, ${restaurant.address.city}`),
  );
}
