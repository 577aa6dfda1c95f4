import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, generateTestKeys, http } from '@foodflow/platform/testing';
import { startStack, type Stack } from '../system/stack.js';
import { type Account, openRestaurant, placeOrder, register, saveAddress, setStatus } from '../system/support.js';
import { uniquePlace } from '../setup/places.js';
import { SYSTEM_TEST_DATABASE, SYSTEM_TEST_REDIS_URL, testEnv } from '../setup/test-env.js';

/**
 * The web app as people use it: built for production, served as static files, driven in a real
 * (headless) Chromium against the whole platform running as real processes.
 */

const frontendRoot = fileURLToPath(new URL('../../frontend', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
/** Events cross three services and a broker; a busy machine (two cores shared with other runs) needs slack. */
const TIMEOUT_MS = 20_000;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

let stack: Stack;
let site: PreviewServer;
let webUrl: string;
let browser: Browser;
const scratch = mkdtempSync(join(tmpdir(), 'foodflow-web-'));

beforeAll(async () => {
  const port = await freePort();
  webUrl = `http://127.0.0.1:${port}`;
  // The app is served from its own origin, as with `npm run preview`: the gateway must allow it.
  stack = await startStack({ gateway: { CORS_ORIGINS: webUrl } });
  const outDir = join(scratch, 'dist');
  await build({
    root: frontendRoot,
    configFile: false,
    logLevel: 'warn',
    define: { 'import.meta.env.VITE_API_URL': JSON.stringify(stack.gatewayUrl) },
    build: { outDir, emptyOutDir: true },
  });
  site = await preview({
    root: frontendRoot,
    configFile: false,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port, strictPort: true, open: false },
  });
  // Each launch gets a fresh temporary profile; each test opens its own context (no shared storage).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
  await stack?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A restaurant (open all day, with Pad Thai and Green Curry) moved to the given spot. */
async function restaurantAt(owner: Account, location: { lat: number; lng: number }) {
  const { restaurantId, itemIds } = await openRestaurant(stack.gatewayUrl, owner);
  const moved = await http('PUT', `${stack.gatewayUrl}/api/restaurants/${restaurantId}`, {
    token: owner.token,
    body: { address: { street: '1 Test Street', city: 'Testville', postalCode: '10001', location } },
  });
  if (moved.status !== 200) throw new Error(`move restaurant: ${moved.status} ${JSON.stringify(moved.body)}`);
  return { restaurant: moved.body, itemIds };
}

/** A page in a browser context of its own (no shared storage), collecting the page's uncaught errors. */
async function openPage(): Promise<{ context: BrowserContext; page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { context, page, pageErrors };
}

/** Signs in on the web app's form with the password the test accounts are registered with. */
async function signIn(page: Page, account: Account): Promise<void> {
  await page.goto(`${webUrl}/#/login`);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill('correct-horse-battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Makes an account an admin the way an operator does (`npm run admin:create -- --email`), in the
 * stack's database; the keys only satisfy the user service's configuration, a promotion uses none.
 */
function promoteToAdmin(account: Account): void {
  const keys = generateTestKeys();
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/create-admin.ts', '--email', account.email], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    encoding: 'utf8',
    env: {
      PATH: process.env['PATH'] ?? '',
      ...testEnv('users_service', {}, SYSTEM_TEST_DATABASE),
      REDIS_URL: SYSTEM_TEST_REDIS_URL,
      JWT_PRIVATE_KEY: keys.privateKey,
      JWT_PUBLIC_KEY: keys.publicKey,
      DATA_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    },
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`admin:create: ${result.stdout}${result.stderr}`);
}

/** The driver marker's place on the map, as drawn. */
const markerTransform = (page: Page): Promise<string | null> =>
  page.locator('.driver-marker').getAttribute('transform');

describe('the web app', () => {
  let owner: Account;
  let driver: Account;

  beforeAll(async () => {
    [owner, driver] = await Promise.all([
      register(stack.gatewayUrl, 'restaurant_owner'),
      register(stack.gatewayUrl, 'driver'),
    ]);
  });

  it('when a customer orders in the browser, then they watch the order move and the driver drive on the live map', async () => {
    const api = stack.gatewayUrl;
    const place = await uniquePlace();
    const { restaurant } = await restaurantAt(owner, place);
    const restaurantId: string = restaurant.id;

    const { context, page, pageErrors } = await openPage();

    // Register as a customer.
    await page.goto(`${webUrl}/#/register`);
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Customer');
    await page.getByLabel('Email').fill(`web.${Date.now()}.${Math.random().toString(36).slice(2)}@example.test`);
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/#\/restaurants$/);

    // Find the restaurant by name and fill the cart.
    await page.getByRole('searchbox', { name: 'Search' }).fill(restaurant.name);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: new RegExp(restaurant.name) }).click();
    await page.getByRole('heading', { name: restaurant.name, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add Pad Thai to cart' }).click();
    await page.getByText('1 item in your cart').waitFor();
    await page.getByLabel('Quantity of Green Curry').fill('2');
    await page.getByRole('button', { name: 'Add Green Curry to cart' }).click();
    await page.getByText('3 items in your cart').waitFor();
    await page.getByRole('link', { name: /View cart/ }).click();

    // Save an address a few blocks away; a declined card shows the contract's message; a good card orders.
    await page.getByLabel('Label').fill('Home');
    await page.getByLabel('Street').fill('2 Test Avenue');
    await page.getByLabel('City').fill('Testville');
    await page.getByLabel('Postal code').fill('10002');
    await page.getByLabel('Latitude').fill(String(place.lat + 0.02));
    await page.getByLabel('Longitude').fill(String(place.lng + 0.01));
    await page.getByRole('button', { name: 'Save address' }).click();
    await page.getByRole('radio', { name: /2 Test Avenue/ }).waitFor();
    await page.getByLabel('Test card').selectOption('tok_chargeDeclined');
    await page.getByRole('button', { name: 'Place order' }).click();
    const declined = await page.getByRole('alert').textContent();
    expect(declined).toMatch(/declined/i);
    await page.getByLabel('Test card').selectOption('tok_visa');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.waitForURL(/#\/orders\/[0-9a-f-]{36}$/);
    const orderId = page.url().split('/').pop() ?? '';

    const status = page.locator('#order-status');
    await page.waitForSelector('#order-status[data-status="pending"]');
    expect(await status.textContent()).toBe('Order placed');
    const order = (await http('GET', `${api}/api/orders/${orderId}`, { token: owner.token })).body;
    expect(order).toMatchObject({ status: 'pending', restaurantId, subtotalCents: 1250 + 2 * 1400 });
    expect(order.payment).toEqual({ method: 'card', status: 'authorized' });

    // The restaurant moves the order along; the page follows the status_change events.
    for (const next of ['confirmed', 'preparing', 'ready']) {
      expect((await setStatus(api, owner, orderId, next)).status).toBe(200);
    }
    await page.waitForSelector('#order-status[data-status="ready"]');
    expect(await status.textContent()).toBe('Ready for pickup');

    // A driver comes online near the restaurant and is assigned.
    const online = await http('PUT', `${api}/api/drivers/availability`, {
      token: driver.token,
      body: { online: true, location: { lat: place.lat + 0.001, lng: place.lng } },
    });
    expect(online.status).toBe(200);
    const deliveryId: string = await eventually(async () => {
      const list = await http('GET', `${api}/api/deliveries?status=assigned`, { token: driver.token });
      return list.body.data.find((d: { orderId: string }) => d.orderId === orderId)?.id;
    }, TIMEOUT_MS);
    await page.getByText(/Firstdriver is delivering your order/).waitFor();

    // Each location update moves the marker on the map.
    const move = async (lat: number, lng: number) => {
      const res = await http('PUT', `${api}/api/deliveries/${deliveryId}/location`, {
        token: driver.token,
        body: { lat, lng, heading: 30, speedKmh: 25 },
      });
      expect(res.status).toBe(200);
      await page.waitForSelector(`.driver-marker[data-lat="${lat}"][data-lng="${lng}"]`);
      return markerTransform(page);
    };
    const first = await move(place.lat + 0.005, place.lng + 0.002);
    expect(await page.locator('.driver-marker').getAttribute('visibility')).toBe('visible');
    const second = await move(place.lat + 0.012, place.lng + 0.006);
    expect(first).toMatch(/^translate\(/);
    expect(second).not.toBe(first);

    const pickedUp = await http('PUT', `${api}/api/deliveries/${deliveryId}/status`, {
      token: driver.token,
      body: { status: 'picked_up' },
    });
    expect(pickedUp.status).toBe(200);
    await page.waitForSelector('#order-status[data-status="picked_up"]');
    expect(await status.textContent()).toBe('On the way');
    expect(await page.locator('.timeline [aria-current="step"]').textContent()).toContain('On the way');

    await page.screenshot({ path: '/tmp/ff/web-order.png', fullPage: true });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/#\/login$/);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 90_000);

  it('when an owner opens a restaurant and builds its menu in the browser, then customers see that menu', async () => {
    const api = stack.gatewayUrl;
    const place = await uniquePlace();
    const newOwner = await register(api, 'restaurant_owner');
    const name = `Basil House ${Math.random().toString(36).slice(2, 8)}`;

    const { context, page, pageErrors } = await openPage();
    page.on('dialog', (dialog) => void dialog.accept());
    const menu = async () => (await http('GET', `${api}/api/restaurants/${restaurantId}/menu`)).body;
    const dish = async (dishName: string) =>
      (await menu()).categories
        .flatMap((c: { items: { name: string }[] }) => c.items)
        .find((item: { name: string }) => item.name === dishName);

    await page.goto(`${webUrl}/#/login`);
    await page.getByLabel('Email').fill(newOwner.email);
    await page.getByLabel('Password').fill('correct-horse-battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/#\/owner\/orders$/);
    await page.getByRole('link', { name: 'Restaurants & menus' }).click();
    await page.getByText('You have no restaurants yet').waitFor();

    // Opening a restaurant: a bad fee is caught before anything is sent; then it opens.
    await page.getByText('Open a new restaurant').click();
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Cuisine').fill('thai');
    await page.getByLabel('Street').fill('5 Basil Lane');
    await page.getByLabel('City').fill('Testville');
    await page.getByLabel('Postal code').fill('10003');
    await page.getByLabel('Latitude').fill(String(place.lat));
    await page.getByLabel('Longitude').fill(String(place.lng));
    await page.getByLabel('Opens (every day)').fill('00:00');
    await page.getByLabel('Closes').fill('00:00');
    await page.getByLabel('Delivery fee ($)').fill('two dollars');
    await page.getByRole('button', { name: 'Open restaurant' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/amounts like 2.99/);
    await page.getByLabel('Delivery fee ($)').fill('1.50');
    await page.getByRole('button', { name: 'Open restaurant' }).click();
    await page.waitForURL(/#\/owner\/restaurants\/[0-9a-f-]{36}$/);
    const restaurantId = page.url().split('/').pop() ?? '';
    const created = (await http('GET', `${api}/api/restaurants/${restaurantId}`)).body;
    expect(created).toMatchObject({ name, ownerId: newOwner.id, cuisine: 'thai', deliveryFeeCents: 150, isOpen: true });

    // A section with two dishes.
    await page.getByLabel('New section').fill('Noodles');
    await page.getByRole('button', { name: 'Add section' }).click();
    const section = page.locator('[data-category-id]', { has: page.getByRole('heading', { name: 'Noodles' }) });
    await section.waitFor();
    for (const [dishName, price] of [
      ['Pad See Ew', '11.50'],
      ['Boat Noodles', '9'],
    ] as const) {
      await section.getByLabel('Dish', { exact: true }).fill(dishName);
      await section.getByLabel('Price ($)').fill(price);
      await section.getByRole('button', { name: 'Add dish' }).click();
      await section.getByRole('heading', { name: dishName }).waitFor();
    }
    expect(await dish('Pad See Ew')).toMatchObject({ priceCents: 1150, isAvailable: true });
    expect(await dish('Boat Noodles')).toMatchObject({ priceCents: 900, isAvailable: true });

    // A new price and a sold-out dish; then one dish goes.
    await section.getByLabel('Price of Pad See Ew in dollars').fill('12.25');
    await section.locator('[data-item-id]', { hasText: 'Boat Noodles' }).getByLabel('Available').uncheck();
    await section.getByRole('button', { name: 'Save Pad See Ew' }).click();
    await section.getByText(/Customers see \$12\.25/).waitFor();
    await section.getByRole('button', { name: 'Save Boat Noodles' }).click();
    await eventually(async () => ((await dish('Boat Noodles'))?.isAvailable === false ? true : undefined), TIMEOUT_MS);
    expect(await dish('Pad See Ew')).toMatchObject({ priceCents: 1225 });
    await section.getByRole('button', { name: 'Delete Boat Noodles' }).click();
    await section.getByRole('heading', { name: 'Boat Noodles' }).waitFor({ state: 'detached' });
    expect(await dish('Boat Noodles')).toBeUndefined();

    // Pausing orders shows at once to customers; the owner's list has the restaurant.
    await page.getByRole('button', { name: 'Pause new orders' }).click();
    await page.getByRole('button', { name: 'Resume taking orders' }).waitFor();
    expect((await http('GET', `${api}/api/restaurants/${restaurantId}`)).body).toMatchObject({
      isAcceptingOrders: false,
      isOpen: false,
    });
    await page.getByRole('link', { name: '← Your restaurants' }).click();
    await page.locator(`[data-restaurant-id="${restaurantId}"]`).getByText('Orders paused').waitFor();

    // Another owner's menu is not theirs to edit.
    await page.goto(`${webUrl}/#/owner/restaurants/${(await restaurantAt(owner, await uniquePlace())).restaurant.id}`);
    await page.getByText('Only its owner can edit this menu.').waitFor();
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 90_000);

  it('when the owner and then a driver work in the browser, then the order goes from placed to delivered', async () => {
    const api = stack.gatewayUrl;
    const place = await uniquePlace();
    const { itemIds } = await restaurantAt(owner, place);
    const customer = await register(api, 'customer');
    const order = await placeOrder(api, customer, await saveAddress(api, customer), itemIds);
    const dropoff = order.deliveryAddress as { location: { lat: number; lng: number } };
    const degreesToDropoff = (p: { lat: number; lng: number }) =>
      Math.hypot(p.lat - dropoff.location.lat, p.lng - dropoff.location.lng);
    const orderStatus = async () =>
      (await http('GET', `${api}/api/orders/${order.id}`, { token: customer.token })).body.status;

    const { context, page, pageErrors } = await openPage();

    // The owner finds the new order and moves it to ready with the buttons.
    await signIn(page, owner);
    await page.waitForURL(/#\/owner\/orders$/);
    const card = page.locator(`[data-order-id="${order.id}"]`);
    for (const [button, status] of [
      ['Confirm', 'confirmed'],
      ['Start preparing', 'preparing'],
      ['Mark ready', 'ready'],
    ] as const) {
      await card.getByRole('button', { name: button }).click();
      await card.locator(`.status-pill.status-${status}`).waitFor();
    }
    expect(await orderStatus()).toBe('ready');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/#\/login$/);

    // A driver (a fresh one, nearer the restaurant than anyone else) goes online from the browser.
    const courier = await register(api, 'driver');
    const here = { latitude: place.lat + 0.0005, longitude: place.lng };
    await context.grantPermissions(['geolocation'], { origin: webUrl });
    await context.setGeolocation(here);
    await signIn(page, courier);
    await page.waitForURL(/#\/driver$/);
    await page.getByRole('button', { name: 'Go online' }).click();
    await page.waitForSelector('#driver-presence[data-online="true"]');
    const delivery = page.locator('[data-delivery-id]');
    await delivery.waitFor();

    await delivery.getByRole('button', { name: 'Send my location' }).click();
    const tracked = await eventually(async () => {
      const tracking = (await http('GET', `${api}/api/tracking/${order.id}`, { token: customer.token })).body;
      return tracking.location?.lat === here.latitude ? tracking : undefined;
    }, TIMEOUT_MS);
    expect(tracked).toMatchObject({ driver: { id: courier.id }, location: { lng: here.longitude } });

    await delivery.getByRole('button', { name: 'Picked up' }).click();
    await delivery.locator('.status-pill.status-picked_up').waitFor();
    await eventually(async () => ((await orderStatus()) === 'picked_up' ? true : undefined), TIMEOUT_MS);

    // The simulated drive heads for the customer, one location a second.
    await page.getByRole('button', { name: 'Simulate the drive' }).click();
    const driven = await eventually(async () => {
      const tracking = (await http('GET', `${api}/api/tracking/${order.id}`, { token: customer.token })).body;
      return tracking.location && tracking.location.lat !== here.latitude ? tracking.location : undefined;
    }, TIMEOUT_MS);
    const start = { lat: here.latitude, lng: here.longitude };
    expect(degreesToDropoff(driven)).toBeLessThan(degreesToDropoff(start));
    await page.getByRole('button', { name: 'Stop simulated drive' }).click();

    await page.getByRole('button', { name: 'Delivered' }).click();
    await eventually(async () => ((await orderStatus()) === 'delivered' ? true : undefined), TIMEOUT_MS);
    await page.getByText('No delivery yet').waitFor();
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 90_000);

  it('when an admin opens Operations, then every service shows live and ready with its dependencies, and the tools are linked; a customer has no such page', async () => {
    const api = stack.gatewayUrl;
    const admin = await register(api, 'customer');
    promoteToAdmin(admin);
    const { context, page, pageErrors } = await openPage();

    await signIn(page, admin);
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.waitForURL(/#\/ops$/);
    for (const service of ['user-service', 'restaurant-service', 'order-service', 'delivery-service']) {
      const row = page.locator(`tr[data-service="${service}"]`);
      await row.locator('[data-probe="live"] [data-health="up"]').waitFor();
      await row.locator('[data-probe="ready"] [data-health="up"]').waitFor();
      // Readiness lists what the service checked, each of them up.
      const checks = await row
        .locator('[data-check]')
        .evaluateAll((items) =>
          items.map((item) => `${item.getAttribute('data-check')} ${item.getAttribute('data-health')}`),
        );
      expect(checks.length, service).toBeGreaterThan(0);
      for (const check of checks) expect(check, service).toMatch(/ up$/);
    }
    // A service that stops answering shows as unreachable at the next check, and ready again once back.
    const orders = page.locator('tr[data-service="order-service"]');
    await stack.kill('order');
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await orders.locator('[data-probe="live"] [data-health="down"]', { hasText: 'Unreachable' }).waitFor();
    await stack.start('order');
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await orders.locator('[data-probe="ready"] [data-health="up"]').waitFor();

    const tools = await page
      .locator('[data-tool]')
      .evaluateAll((links) => links.map((link) => [link.getAttribute('data-tool'), link.getAttribute('href')]));
    expect(tools).toEqual([
      ['Grafana', 'http://localhost:3000'],
      ['Prometheus', 'http://localhost:9090'],
      ['Kibana', 'http://localhost:5601'],
      ['RabbitMQ management', 'http://localhost:15672'],
      ['Kong Manager', 'http://localhost:8002'],
    ]);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/#\/login$/);

    // A customer sees no link, and the address sends them to their own home.
    await signIn(page, await register(api, 'customer'));
    await page.waitForURL(/#\/restaurants$/);
    expect(await page.getByRole('link', { name: 'Operations' }).count()).toBe(0);
    await page.goto(`${webUrl}/#/ops`);
    await page.waitForURL(/#\/restaurants$/);
    expect(await page.locator('tr[data-service]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 90_000);
});
