import { api } from '../api.js';
import { busy, formValues, h, replaceChildren } from '../dom.js';
import { money } from '../format.js';
import { DEMO_ADDRESSES } from '../geo.js';
import { uuid } from '../ids.js';
import { errorBox, errorMessage, toast } from '../notify.js';
import { navigate } from '../router.js';
import type { Address, Cart, OrderLine, Payment, Restaurant } from '../types.js';

/**
 * One checkout attempt keeps its Idempotency-Key while the request stays the same, so a retry after a
 * lost answer or a 503 replays the first outcome instead of ordering twice. A changed request (another
 * card, another address) is a new attempt with a new key.
 */
class CheckoutAttempt {
  private key = '';
  private body = '';

  keyFor(body: object): string {
    const serialized = JSON.stringify(body);
    if (serialized !== this.body) {
      this.key = uuid();
      this.body = serialized;
    }
    return this.key;
  }
}

export function cartScreen(outlet: HTMLElement): void {
  const view = h('section', { class: 'stack' }, h('h1', {}, 'Your cart'), h('p', { class: 'muted' }, 'Loading…'));
  outlet.append(view);
  const attempt = new CheckoutAttempt();

  const render = (cart: Cart, restaurant: Restaurant | null, addresses: Address[]): void => {
    if (cart.items.length === 0) {
      view.replaceChildren(
        h('h1', {}, 'Your cart'),
        h('p', { class: 'empty' }, 'Your cart is empty. ', h('a', { href: '#/restaurants' }, 'Find a restaurant')),
      );
      return;
    }
    const refresh = (next: Cart): void => render(next, restaurant, addresses);
    replaceChildren(
      view,
      h('h1', {}, 'Your cart'),
      restaurant ? h('p', {}, 'From ', h('a', { href: `#/restaurants/${restaurant.id}` }, restaurant.name)) : null,
      linesTable(cart, restaurant, refresh),
      checkoutForm(cart, restaurant, addresses, attempt, (added) => {
        // The new address is the default now, and the one chosen for this order.
        addresses = [...addresses.map((a) => ({ ...a, isDefault: false })), added];
        render(cart, restaurant, addresses);
      }),
    );
  };

  void (async () => {
    try {
      const [cart, { data: addresses }] = await Promise.all([api.cart(), api.addresses()]);
      const restaurant = cart.restaurantId ? await api.restaurant(cart.restaurantId) : null;
      render(cart, restaurant, addresses);
    } catch (err) {
      view.replaceChildren(h('h1', {}, 'Your cart'), errorBox(err));
    }
  })();
}

function linesTable(cart: Cart, restaurant: Restaurant | null, refresh: (cart: Cart) => void): HTMLElement {
  const row = (line: OrderLine): HTMLElement => {
    const quantity = h('input', {
      type: 'number',
      min: 1,
      max: 50,
      value: line.quantity,
      class: 'qty',
      'aria-label': `Quantity of ${line.name}`,
    });
    quantity.addEventListener('change', () => {
      const next = Math.min(50, Math.max(1, quantity.valueAsNumber || 1));
      api.addToCart(line.menuItemId, next).then(refresh, (err: unknown) => toast(errorMessage(err), 'error'));
    });
    const remove = h('button', { type: 'button', class: 'link' }, 'Remove');
    remove.setAttribute('aria-label', `Remove ${line.name}`);
    remove.addEventListener('click', () => {
      void busy(remove, () =>
        api.removeFromCart(line.menuItemId).then(refresh, (err: unknown) => toast(errorMessage(err), 'error')),
      );
    });
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, line.name),
      h('td', {}, money(line.unitPriceCents)),
      h('td', {}, quantity),
      h('td', { class: 'num' }, money(line.lineTotalCents)),
      h('td', {}, remove),
    );
  };
  const fee = restaurant?.deliveryFeeCents ?? 0;
  const belowMinimum = restaurant && cart.subtotalCents < restaurant.minOrderCents;
  return h(
    'div',
    { class: 'card' },
    h(
      'table',
      { class: 'lines' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Dish'),
          h('th', { scope: 'col' }, 'Price'),
          h('th', { scope: 'col' }, 'Quantity'),
          h('th', { scope: 'col', class: 'num' }, 'Total'),
          h('td', {}),
        ),
      ),
      h('tbody', {}, cart.items.map(row)),
      h(
        'tfoot',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'row', colspan: 3 }, 'Subtotal'),
          h('td', { class: 'num' }, money(cart.subtotalCents)),
        ),
        h('tr', {}, h('th', { scope: 'row', colspan: 3 }, 'Delivery'), h('td', { class: 'num' }, money(fee))),
        h(
          'tr',
          { class: 'total' },
          h('th', { scope: 'row', colspan: 3 }, 'Total'),
          h('td', { class: 'num' }, money(cart.subtotalCents + fee)),
        ),
      ),
    ),
    belowMinimum
      ? h('p', { class: 'alert' }, `This restaurant's minimum order is ${money(restaurant.minOrderCents)}.`)
      : null,
  );
}

function addressPicker(addresses: Address[], onAdded: (address: Address) => void): HTMLElement {
  const chosen = addresses.find((a) => a.isDefault) ?? addresses[addresses.length - 1];
  const list =
    addresses.length === 0
      ? h('p', { class: 'muted' }, 'No saved address yet: add one below.')
      : h(
          'div',
          { class: 'choices' },
          addresses.map((address) =>
            h(
              'label',
              { class: 'choice' },
              h('input', { type: 'radio', name: 'addressId', value: address.id, checked: address === chosen }),
              h(
                'span',
                {},
                h('strong', {}, address.label),
                ` ${address.street}, ${address.city} ${address.postalCode}`,
              ),
            ),
          ),
        );
  return h(
    'fieldset',
    { class: 'stack' },
    h('legend', {}, 'Deliver to'),
    list,
    newAddressForm(addresses.length === 0, onAdded),
  );
}

/**
 * Not a <form> of its own (forms cannot nest, and this sits inside the checkout form): the fields are
 * checked and read when "Save address" is pressed, and never submit the order.
 */
function newAddressForm(open: boolean, onAdded: (address: Address) => void): HTMLElement {
  const fields = {
    label: h('input', { name: 'label', placeholder: 'Home' }),
    street: h('input', { name: 'street', autocomplete: 'street-address' }),
    city: h('input', { name: 'city', autocomplete: 'address-level2' }),
    postalCode: h('input', { name: 'postalCode', autocomplete: 'postal-code' }),
    lat: h('input', { name: 'lat', type: 'number', step: 'any', min: -90, max: 90 }),
    lng: h('input', { name: 'lng', type: 'number', step: 'any', min: -180, max: 180 }),
  };
  const labels: Record<keyof typeof fields, string> = {
    label: 'Label',
    street: 'Street',
    city: 'City',
    postalCode: 'Postal code',
    lat: 'Latitude',
    lng: 'Longitude',
  };
  const errors = h('div');
  const save = h('button', { type: 'button' }, 'Save address');
  const demo = h('button', { type: 'button', class: 'secondary' }, 'Use a demo location');

  demo.addEventListener('click', () => {
    const sample = DEMO_ADDRESSES[Math.floor(Math.random() * DEMO_ADDRESSES.length)] ?? DEMO_ADDRESSES[0];
    if (!sample) return;
    fields.label.value = sample.label;
    fields.street.value = sample.street;
    fields.city.value = sample.city;
    fields.postalCode.value = sample.postalCode;
    fields.lat.value = String(sample.location.lat);
    fields.lng.value = String(sample.location.lng);
  });
  save.addEventListener('click', () => {
    errors.replaceChildren();
    const inputs = Object.values(fields);
    for (const input of inputs) input.required = true;
    const valid = inputs.every((input) => input.reportValidity());
    for (const input of inputs) input.required = false;
    if (!valid) return;
    void busy(save, async () => {
      try {
        const address = await api.addAddress({
          label: fields.label.value.trim(),
          street: fields.street.value.trim(),
          city: fields.city.value.trim(),
          postalCode: fields.postalCode.value.trim(),
          location: { lat: fields.lat.valueAsNumber, lng: fields.lng.valueAsNumber },
          isDefault: true,
        });
        toast(`Saved ${address.label}`, 'success');
        onAdded(address);
      } catch (err) {
        errors.replaceChildren(errorBox(err));
      }
    });
  });
  const section = h(
    'details',
    { class: 'new-address', open },
    h('summary', {}, 'Add an address'),
    errors,
    h(
      'div',
      { class: 'row wrap' },
      (Object.keys(fields) as (keyof typeof fields)[]).map((name) =>
        h('label', { class: 'field' }, h('span', {}, labels[name]), fields[name]),
      ),
    ),
    h('div', { class: 'row' }, demo, save),
  );
  // Enter in these fields saves the address; left alone it would submit the surrounding checkout form.
  section.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !(event.target instanceof HTMLInputElement)) return;
    event.preventDefault();
    save.click();
  });
  return section;
}

function paymentChoice(): HTMLElement {
  return h(
    'fieldset',
    { class: 'stack' },
    h('legend', {}, 'Payment'),
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: 'method', value: 'card', checked: true }),
      h(
        'span',
        {},
        'Card ',
        h(
          'select',
          { name: 'cardToken', 'aria-label': 'Test card' },
          h('option', { value: 'tok_visa' }, 'Visa •••• 4242 (approves)'),
          h('option', { value: 'tok_chargeDeclined' }, 'Card that is declined'),
        ),
      ),
    ),
    h(
      'label',
      { class: 'choice' },
      h('input', { type: 'radio', name: 'method', value: 'cash' }),
      h('span', {}, 'Cash on delivery'),
    ),
  );
}

function checkoutForm(
  cart: Cart,
  restaurant: Restaurant | null,
  addresses: Address[],
  attempt: CheckoutAttempt,
  onAddressAdded: (address: Address) => void,
): HTMLElement {
  const errors = h('div');
  const submit = h('button', { type: 'submit', class: 'primary big' }, 'Place order');
  const form = h(
    'form',
    { class: 'card stack', 'aria-label': 'Checkout' },
    h('h2', {}, 'Checkout'),
    addressPicker(addresses, onAddressAdded),
    paymentChoice(),
    h(
      'label',
      { class: 'field' },
      h('span', {}, 'Notes for the restaurant or driver (optional)'),
      h('textarea', { name: 'notes', rows: 2, maxlength: 500 }),
    ),
    errors,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const v = formValues(form);
    if (!v['addressId']) {
      errors.replaceChildren(errorBox(new Error('Choose or add a delivery address first.')));
      return;
    }
    const payment: Payment =
      v['method'] === 'cash' ? { method: 'cash' } : { method: 'card', cardToken: v['cardToken'] ?? 'tok_visa' };
    const body = { addressId: v['addressId'], payment, ...(v['notes'] ? { notes: v['notes'] } : {}) };
    void busy(submit, async () => {
      try {
        const order = await api.checkout(attempt.keyFor(body), body);
        toast('Order placed', 'success');
        navigate(`/orders/${order.id}`);
      } catch (err) {
        errors.replaceChildren(errorBox(err));
      }
    });
  });
  return restaurant && !restaurant.isOpen
    ? h('div', { class: 'stack' }, h('p', { class: 'alert' }, 'This restaurant is closed right now.'), form)
    : form;
}
