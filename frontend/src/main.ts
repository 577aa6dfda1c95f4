import './styles.css';
import { api } from './api.js';
import { h, replaceChildren } from './dom.js';
import { toast } from './notify.js';
import { realtime } from './realtime.js';
import { navigate, route, type Screen, startRouter } from './router.js';
import { cartScreen } from './screens/cart.js';
import { driverScreen } from './screens/driver.js';
import { homeFor, registerScreen, signInScreen } from './screens/auth.js';
import { opsScreen } from './screens/ops.js';
import { orderScreen } from './screens/order.js';
import { ordersScreen } from './screens/orders.js';
import { menuEditorScreen, ownerRestaurantsScreen } from './screens/owner-restaurants.js';
import { ownerScreen } from './screens/owner.js';
import { restaurantScreen } from './screens/restaurant.js';
import { restaurantsScreen } from './screens/restaurants.js';
import { session } from './session.js';
import type { Role } from './types.js';

/** A screen only for some roles: anyone else is sent to sign in, or to their own home. */
function only(roles: Role[], screen: Screen): Screen {
  return (outlet, params) => {
    const role = session.get()?.user.role;
    if (!role) return navigate('/login');
    if (!roles.includes(role)) return navigate(homeFor(role));
    return screen(outlet, params);
  };
}

function guestOnly(screen: Screen): Screen {
  return (outlet, params) => {
    const user = session.get()?.user;
    return user ? navigate(homeFor(user.role)) : screen(outlet, params);
  };
}

const LINKS: Record<Role | 'guest', [string, string][]> = {
  guest: [
    ['/restaurants', 'Restaurants'],
    ['/login', 'Sign in'],
    ['/register', 'Register'],
  ],
  customer: [
    ['/restaurants', 'Restaurants'],
    ['/cart', 'Cart'],
    ['/orders', 'My orders'],
  ],
  restaurant_owner: [
    ['/owner/orders', 'Orders'],
    ['/owner/restaurants', 'Restaurants & menus'],
  ],
  driver: [['/driver', 'Deliveries']],
  admin: [
    ['/restaurants', 'Restaurants'],
    ['/ops', 'Operations'],
  ],
};

const nav = h('nav', { class: 'nav', 'aria-label': 'Main' });
const live = h('span', { class: 'live-dot', title: 'Live updates disconnected', 'aria-hidden': 'true' });

function renderNav(path: string): void {
  const current = session.get();
  const links = LINKS[current?.user.role ?? 'guest'].map(([href, label]) =>
    h('a', { href: `#${href}`, 'aria-current': path.startsWith(href) ? 'page' : null }, label),
  );
  const account = current
    ? h(
        'span',
        { class: 'account' },
        live,
        h('span', { class: 'who' }, current.user.firstName),
        h('button', { type: 'button', class: 'link', onclick: () => void signOut() }, 'Sign out'),
      )
    : null;
  replaceChildren(nav, links, account);
}

async function signOut(): Promise<void> {
  const refreshToken = session.get()?.refreshToken;
  // Signing out locally must not wait on (or fail with) the server: the tokens are dropped either way.
  if (refreshToken) await api.logout(refreshToken).catch(() => undefined);
  session.end();
  navigate('/login');
}

const outlet = h('main', { id: 'main', class: 'container', tabindex: -1 });
document.body.append(
  h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
  h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'container row spread' }, h('a', { href: '#/', class: 'brand' }, 'Food Flow'), nav),
  ),
  outlet,
);

realtime.onNotification((notification) => toast(notification.message));
realtime.onConnectionChange((connected) => {
  live.classList.toggle('on', connected);
  live.title = connected ? 'Live updates connected' : 'Live updates disconnected';
});
session.onChange((next) => {
  if (!next) navigate('/login');
});
realtime.connect();

startRouter(
  outlet,
  [
    route('/login', guestOnly(signInScreen)),
    route('/register', guestOnly(registerScreen)),
    route('/restaurants', restaurantsScreen),
    route('/restaurants/:id', restaurantScreen),
    route('/cart', only(['customer'], cartScreen)),
    route('/orders', only(['customer', 'admin'], ordersScreen)),
    route('/orders/:id', only(['customer', 'restaurant_owner', 'driver', 'admin'], orderScreen)),
    route('/owner', only(['restaurant_owner', 'admin'], ownerScreen)),
    route('/owner/orders', only(['restaurant_owner', 'admin'], ownerScreen)),
    route('/owner/restaurants', only(['restaurant_owner'], ownerRestaurantsScreen)),
    route('/owner/restaurants/:id', only(['restaurant_owner', 'admin'], menuEditorScreen)),
    route('/driver', only(['driver'], driverScreen)),
    route('/ops', only(['admin'], opsScreen)),
  ],
  () => homeFor(session.get()?.user.role),
  renderNav,
);
