import { api, type RestaurantQuery } from '../api.js';
import { formValues, h, replaceChildren } from '../dom.js';
import { cuisineLabel, money } from '../format.js';
import { DEMO_CITY } from '../geo.js';
import { errorBox } from '../notify.js';
import type { Restaurant } from '../types.js';

const CUISINES = [
  'american',
  'bakery',
  'chinese',
  'french',
  'greek',
  'indian',
  'italian',
  'japanese',
  'korean',
  'mexican',
  'thai',
  'vietnamese',
];
const PAGE_SIZE = 20;

function restaurantCard(restaurant: Restaurant): HTMLElement {
  return h(
    'li',
    { class: 'card restaurant-card' },
    h(
      'a',
      { href: `#/restaurants/${restaurant.id}`, class: 'card-link' },
      h('h2', {}, restaurant.name),
      h(
        'p',
        { class: 'meta' },
        h('span', { class: 'tag' }, cuisineLabel(restaurant.cuisine)),
        h(
          'span',
          { 'aria-label': `Rated ${restaurant.rating.toFixed(1)} out of 5` },
          `★ ${restaurant.rating.toFixed(1)}`,
        ),
        h('span', { class: restaurant.isOpen ? 'open' : 'closed' }, restaurant.isOpen ? 'Open now' : 'Closed'),
      ),
      restaurant.description ? h('p', { class: 'muted' }, restaurant.description) : null,
      h(
        'p',
        { class: 'meta muted' },
        `Delivery ${money(restaurant.deliveryFeeCents)} · Minimum ${money(restaurant.minOrderCents)} · ~${restaurant.prepTimeMinutes} min`,
        restaurant.distanceKm === undefined ? '' : ` · ${restaurant.distanceKm.toFixed(1)} km`,
      ),
    ),
  );
}

export function restaurantsScreen(outlet: HTMLElement): void {
  const query: RestaurantQuery = { sort: 'rating', page: 1, pageSize: PAGE_SIZE };
  const results = h('div', { 'aria-live': 'polite' });

  const filters = h(
    'form',
    { class: 'filters', role: 'search' },
    h(
      'label',
      { class: 'field grow' },
      h('span', {}, 'Search'),
      h('input', { name: 'q', type: 'search', placeholder: 'Restaurant or dish' }),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', {}, 'Cuisine'),
      h(
        'select',
        { name: 'cuisine' },
        h('option', { value: '' }, 'All cuisines'),
        CUISINES.map((c) => h('option', { value: c }, cuisineLabel(c))),
      ),
    ),
    h(
      'label',
      { class: 'field' },
      h('span', {}, 'Sort by'),
      h(
        'select',
        { name: 'sort' },
        h('option', { value: 'rating' }, 'Rating'),
        h('option', { value: 'popular' }, 'Popularity'),
        h('option', { value: 'name' }, 'Name'),
        h('option', { value: 'distance' }, 'Distance'),
      ),
    ),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'isOpen', value: 'true' }), 'Open now'),
    h('button', { type: 'submit', class: 'primary' }, 'Search'),
  );

  const load = async (): Promise<void> => {
    results.replaceChildren(h('p', { class: 'muted' }, 'Loading restaurants…'));
    try {
      const page = await api.restaurants(query);
      const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
      const pager = (label: string, target: number, disabled: boolean): HTMLButtonElement =>
        h(
          'button',
          {
            type: 'button',
            disabled,
            onclick: () => {
              query.page = target;
              void load();
            },
          },
          label,
        );
      replaceChildren(
        results,
        page.data.length === 0
          ? h('p', { class: 'empty' }, 'No restaurant matches. Try another search.')
          : h('ul', { class: 'grid' }, page.data.map(restaurantCard)),
        pages > 1
          ? h(
              'nav',
              { class: 'pager', 'aria-label': 'Pages' },
              pager('Previous', page.page - 1, page.page <= 1),
              h('span', {}, `Page ${page.page} of ${pages}`),
              pager('Next', page.page + 1, page.page >= pages),
            )
          : null,
      );
    } catch (err) {
      results.replaceChildren(errorBox(err));
    }
  };

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = formValues(filters);
    query.q = values['q'] || undefined;
    query.cuisine = values['cuisine'] || undefined;
    query.sort = (values['sort'] as RestaurantQuery['sort']) ?? 'rating';
    // Distance needs a point to measure from: the demo city centre stands in for the customer's position.
    query.near = query.sort === 'distance' ? `${DEMO_CITY.lat},${DEMO_CITY.lng}` : undefined;
    query.isOpen = values['isOpen'] ? true : undefined;
    query.page = 1;
    void load();
  });
  // Choosing from a list or ticking a box searches at once; typing waits for Enter or the button.
  filters.addEventListener('change', (event) => {
    if (!(event.target instanceof HTMLInputElement && event.target.type === 'search')) filters.requestSubmit();
  });

  outlet.append(h('section', { class: 'stack' }, h('h1', {}, 'Restaurants'), filters, results));
  void load();
}
