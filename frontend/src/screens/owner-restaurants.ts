import { api } from '../api.js';
import { busy, formValues, h, replaceChildren } from '../dom.js';
import { cuisineLabel, money } from '../format.js';
import { currentPosition, DEMO_CITY } from '../geo.js';
import { errorBox, errorMessage, toast } from '../notify.js';
import { navigate } from '../router.js';
import { session } from '../session.js';
import type { Menu, MenuItem, Restaurant, RestaurantInput } from '../types.js';

/** "12.50" → 1250; undefined for anything that is not a non-negative amount with at most two decimals. */
export function cents(value: string): number | undefined {
  if (!/^\d{1,6}(\.\d{1,2})?$/.test(value.trim())) return undefined;
  return Math.round(Number(value) * 100);
}

const amount = (valueCents: number): string => (valueCents / 100).toFixed(2);

function field(label: string, input: HTMLElement): HTMLElement {
  return h('label', { class: 'field' }, h('span', {}, label), input);
}

/** Pausing stops new orders at once; the restaurant stays listed and its menu stays visible. */
function acceptingToggle(restaurant: Restaurant, onChanged: (next: Restaurant) => void): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', class: restaurant.isAcceptingOrders ? 'secondary' : 'primary', 'data-action': 'accepting' },
    restaurant.isAcceptingOrders ? 'Pause new orders' : 'Resume taking orders',
  );
  button.addEventListener('click', () => {
    void busy(button, async () => {
      try {
        onChanged(await api.updateRestaurant(restaurant.id, { isAcceptingOrders: !restaurant.isAcceptingOrders }));
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
  });
  return button;
}

function restaurantCard(restaurant: Restaurant, onChanged: () => void): HTMLElement {
  return h(
    'li',
    { class: 'card stack', 'data-restaurant-id': restaurant.id },
    h(
      'div',
      { class: 'row spread' },
      h('h2', {}, restaurant.name),
      h('span', { class: restaurant.isOpen ? 'open' : 'closed' }, restaurant.isOpen ? 'Open now' : 'Closed'),
    ),
    h(
      'p',
      { class: 'meta' },
      h('span', { class: 'tag' }, cuisineLabel(restaurant.cuisine)),
      h('span', {}, `${restaurant.address.street}, ${restaurant.address.city}`),
      restaurant.isAcceptingOrders ? null : h('span', { class: 'closed' }, 'Orders paused'),
    ),
    h(
      'div',
      { class: 'row' },
      h('a', { href: `#/owner/restaurants/${restaurant.id}`, class: 'button primary' }, 'Edit menu'),
      acceptingToggle(restaurant, onChanged),
    ),
  );
}

function newRestaurantForm(): HTMLElement {
  const input = (name: string, attrs: Record<string, string | number | boolean> = {}) =>
    h('input', { name, required: true, ...attrs });
  const location = {
    lat: input('lat', { value: DEMO_CITY.lat, inputmode: 'decimal' }),
    lng: input('lng', { value: DEMO_CITY.lng, inputmode: 'decimal' }),
  };
  const here = h('button', { type: 'button', class: 'link' }, 'Use my position');
  here.addEventListener('click', () => {
    void busy(here, async () => {
      const { location: found, demo } = await currentPosition();
      location.lat.value = String(found.lat);
      location.lng.value = String(found.lng);
      if (demo) toast('Your position is not available; the demo city is filled in.');
    });
  });
  const problem = h('div', { 'aria-live': 'assertive' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Open restaurant');
  const form = h(
    'form',
    { class: 'stack', novalidate: true },
    field('Name', input('name', { maxlength: 120 })),
    field('Cuisine', input('cuisine', { placeholder: 'e.g. thai', pattern: '[a-z][a-z_]*' })),
    field('Description', h('textarea', { name: 'description', rows: 2, maxlength: 2000 })),
    field('Phone', input('phone', { required: false, type: 'tel' })),
    field('Street', input('street')),
    h('div', { class: 'row wrap' }, field('City', input('city')), field('Postal code', input('postalCode'))),
    h('div', { class: 'row wrap' }, field('Latitude', location.lat), field('Longitude', location.lng), here),
    h(
      'div',
      { class: 'row wrap' },
      field('Opens (every day)', input('open', { type: 'time', value: '10:00' })),
      field('Closes', input('close', { type: 'time', value: '22:00' })),
    ),
    h(
      'div',
      { class: 'row wrap' },
      field('Delivery fee ($)', input('deliveryFee', { value: '2.99', inputmode: 'decimal' })),
      field('Minimum order ($)', input('minOrder', { value: '10.00', inputmode: 'decimal' })),
      field('Preparation (minutes)', input('prepTime', { type: 'number', min: 1, max: 240, value: 20 })),
    ),
    problem,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = formValues(form);
    const deliveryFeeCents = cents(v['deliveryFee'] ?? '');
    const minOrderCents = cents(v['minOrder'] ?? '');
    if (deliveryFeeCents === undefined || minOrderCents === undefined) {
      problem.replaceChildren(errorBox(new Error('Fees are amounts like 2.99.')));
      return;
    }
    // "00:00" as a closing time means midnight at the end of the day.
    const close = v['close'] === '00:00' ? '24:00' : (v['close'] ?? '');
    const input: RestaurantInput = {
      name: v['name'] ?? '',
      cuisine: (v['cuisine'] ?? '').toLowerCase(),
      ...(v['description'] ? { description: v['description'] } : {}),
      ...(v['phone'] ? { phone: v['phone'] } : {}),
      address: {
        street: v['street'] ?? '',
        city: v['city'] ?? '',
        postalCode: v['postalCode'] ?? '',
        location: { lat: Number(v['lat']), lng: Number(v['lng']) },
      },
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      openingHours: [0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, open: v['open'] ?? '', close })),
      deliveryFeeCents,
      minOrderCents,
      prepTimeMinutes: Number(v['prepTime']),
    };
    void busy(submit, async () => {
      try {
        const created = await api.createRestaurant(input);
        toast(`${created.name} is open for business`, 'success');
        navigate(`/owner/restaurants/${created.id}`);
      } catch (err) {
        problem.replaceChildren(errorBox(err));
      }
    });
  });
  return h('details', { class: 'card' }, h('summary', {}, 'Open a new restaurant'), form);
}

/** An owner's restaurants, each with a way into its menu and a switch for taking orders. */
export function ownerRestaurantsScreen(outlet: HTMLElement): void {
  const list = h('div', { 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Loading your restaurants…'));
  outlet.append(h('section', { class: 'stack' }, h('h1', {}, 'Your restaurants'), list, newRestaurantForm()));
  const ownerId = session.get()?.user.id;

  const load = async (): Promise<void> => {
    try {
      const page = await api.restaurants({ ownerId, sort: 'name', pageSize: 100 });
      list.replaceChildren(
        page.data.length === 0
          ? h('p', { class: 'empty' }, 'You have no restaurants yet. Open one below.')
          : h(
              'ul',
              { class: 'grid plain' },
              page.data.map((restaurant) => restaurantCard(restaurant, () => void load())),
            ),
      );
    } catch (err) {
      list.replaceChildren(errorBox(err));
    }
  };
  void load();
}

/** A dish as its owner edits it. Saving redraws only this row, so edits waiting in other rows stay. */
function itemRow(item: MenuItem): HTMLElement {
  const price = h('input', {
    name: 'price',
    value: amount(item.priceCents),
    inputmode: 'decimal',
    class: 'qty',
    'aria-label': `Price of ${item.name} in dollars`,
  });
  const available = h('input', { type: 'checkbox', name: 'available', checked: item.isAvailable });
  const save = h('button', { type: 'button', class: 'primary' }, 'Save');
  save.setAttribute('aria-label', `Save ${item.name}`);
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  remove.setAttribute('aria-label', `Delete ${item.name}`);

  save.addEventListener('click', () => {
    const priceCents = cents(price.value);
    if (priceCents === undefined) {
      toast('A price is an amount like 12.50.', 'error');
      return;
    }
    void busy(save, async () => {
      try {
        const saved = await api.updateMenuItem(item.id, { priceCents, isAvailable: available.checked });
        row.replaceWith(itemRow(saved));
        toast(`${item.name} saved`, 'success');
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
  });
  remove.addEventListener('click', () => {
    if (!window.confirm(`Delete ${item.name}? Orders that hold it keep their copy.`)) return;
    void busy(remove, async () => {
      try {
        await api.deleteMenuItem(item.id);
        row.remove();
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
  });
  const row = h(
    'li',
    { class: 'menu-item', 'data-item-id': item.id },
    h(
      'div',
      { class: 'grow' },
      h('h3', {}, item.name),
      item.description ? h('p', { class: 'muted' }, item.description) : null,
      h('p', { class: 'muted' }, `Customers see ${money(item.priceCents)}`),
    ),
    h('div', { class: 'row wrap' }, price, h('label', { class: 'check' }, available, 'Available'), save, remove),
  );
  return row;
}

function newItemForm(categoryId: string, list: HTMLElement): HTMLElement {
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Add dish');
  const form = h(
    'form',
    { class: 'row wrap', 'aria-label': 'Add a dish' },
    field('Dish', h('input', { name: 'name', required: true, maxlength: 120 })),
    field('Description', h('input', { name: 'description', maxlength: 1000 })),
    field('Price ($)', h('input', { name: 'price', required: true, inputmode: 'decimal', class: 'qty' })),
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const v = formValues(form);
    const priceCents = cents(v['price'] ?? '');
    if (!v['name'] || priceCents === undefined) {
      toast('A dish needs a name and a price like 12.50.', 'error');
      return;
    }
    void busy(submit, async () => {
      try {
        const added = await api.addMenuItem({
          categoryId,
          name: v['name'] ?? '',
          ...(v['description'] ? { description: v['description'] } : {}),
          priceCents,
        });
        list.append(itemRow(added));
        form.reset();
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
  });
  return form;
}

function categorySection(category: Menu['categories'][number], reload: () => Promise<void>): HTMLElement {
  const rename = h('button', { type: 'button', class: 'link' }, 'Rename');
  const remove = h('button', { type: 'button', class: 'link' }, 'Delete section');
  rename.addEventListener('click', () => {
    const name = window.prompt('New name for this section', category.name)?.trim();
    if (!name || name === category.name) return;
    void busy(rename, async () => {
      try {
        await api.renameCategory(category.id, name);
        await reload();
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
  });
  remove.addEventListener('click', () => {
    if (!window.confirm(`Delete the section ${category.name} and its dishes?`)) return;
    void busy(remove, async () => {
      try {
        await api.deleteCategory(category.id);
        await reload();
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
  });
  const list = h(
    'ul',
    { class: 'menu', 'data-empty-text': 'No dishes in this section yet.' },
    category.items.map((item) => itemRow(item)),
  );
  return h(
    'section',
    { class: 'card stack', 'data-category-id': category.id },
    h('div', { class: 'row spread' }, h('h2', {}, category.name), h('div', { class: 'row' }, rename, remove)),
    list,
    newItemForm(category.id, list),
  );
}

function newCategoryForm(restaurantId: string, reload: () => Promise<void>): HTMLElement {
  const submit = h('button', { type: 'submit' }, 'Add section');
  const form = h(
    'form',
    { class: 'row wrap card', 'aria-label': 'Add a menu section' },
    field('New section', h('input', { name: 'name', required: true, maxlength: 120, placeholder: 'e.g. Desserts' })),
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const name = formValues(form)['name'];
    if (!name) return;
    void busy(submit, async () => {
      try {
        await api.addCategory(restaurantId, name);
        form.reset();
        await reload();
      } catch (err) {
        toast(errorMessage(err), 'error');
      }
    });
  });
  return form;
}

/** The editor's heading; pausing or resuming orders redraws only it. */
function editorHeader(restaurant: Restaurant): HTMLElement {
  const header: HTMLElement = h(
    'header',
    { class: 'page-head' },
    h('a', { href: '#/owner/restaurants', class: 'back' }, '← Your restaurants'),
    h(
      'div',
      { class: 'row spread' },
      h('h1', {}, restaurant.name),
      acceptingToggle(restaurant, (next) => header.replaceWith(editorHeader(next))),
    ),
    h(
      'p',
      { class: 'meta' },
      h('span', { class: restaurant.isOpen ? 'open' : 'closed' }, restaurant.isOpen ? 'Open now' : 'Closed'),
      restaurant.isAcceptingOrders ? null : h('span', { class: 'closed' }, 'Orders paused'),
      h('a', { href: `#/restaurants/${restaurant.id}` }, 'See it as customers do'),
    ),
  );
  return header;
}

/** One restaurant's menu as its owner edits it: sections, dishes, prices and what is sold out. */
export function menuEditorScreen(outlet: HTMLElement, params: Record<string, string>): void {
  const id = params['id'] ?? '';
  const view = h('section', { class: 'stack' }, h('p', { class: 'muted' }, 'Loading menu…'));
  outlet.append(view);

  const reload = async (): Promise<void> => {
    try {
      const [restaurant, menu] = await Promise.all([api.restaurant(id), api.menu(id)]);
      const user = session.get()?.user;
      if (user?.role !== 'admin' && restaurant.ownerId !== user?.id) {
        replaceChildren(
          view,
          h('p', { class: 'alert' }, 'Only its owner can edit this menu.'),
          h('a', { href: '#/owner/restaurants' }, 'Back to your restaurants'),
        );
        return;
      }
      replaceChildren(
        view,
        editorHeader(restaurant),
        menu.categories.length === 0 ? h('p', { class: 'empty' }, 'Start your menu with a first section.') : null,
        menu.categories.map((category) => categorySection(category, reload)),
        newCategoryForm(restaurant.id, reload),
      );
    } catch (err) {
      view.replaceChildren(errorBox(err), h('a', { href: '#/owner/restaurants' }, 'Back to your restaurants'));
    }
  };
  void reload();
}
