import { api } from '../api.js';
import { h } from '../dom.js';
import { errorMessage } from '../notify.js';
import type { Cleanup } from '../router.js';
import type { Health, HealthProbe } from '../types.js';

const SERVICES = [
  ['user-service', 'Users', 'sign-in, profiles, addresses'],
  ['restaurant-service', 'Restaurants', 'restaurants, menus, search'],
  ['order-service', 'Orders', 'carts, checkout, payments, order status'],
  ['delivery-service', 'Deliveries', 'driver assignment, live tracking'],
] as const;

/**
 * The operators' tools, at Compose's addresses unless the build says otherwise (`VITE_GRAFANA_URL` and
 * the rest), since where they run is a property of the deployment, not of the app.
 */
const env = import.meta.env;
const TOOLS = [
  [
    'Grafana',
    env.VITE_GRAFANA_URL ?? 'http://localhost:3000',
    'Dashboards: service health, requests, errors, resources, business',
  ],
  ['Prometheus', env.VITE_PROMETHEUS_URL ?? 'http://localhost:9090', 'Alerts and their rules, ad-hoc queries'],
  ['Kibana', env.VITE_KIBANA_URL ?? 'http://localhost:5601', "Every service's logs, searchable by request id"],
  ['RabbitMQ management', env.VITE_RABBITMQ_URL ?? 'http://localhost:15672', 'Queues, consumers, dead-lettered events'],
  ['Kong Manager', env.VITE_KONG_MANAGER_URL ?? 'http://localhost:8002', 'Routes, services and plugins of the gateway'],
] as const;

const REFRESH_MS = 10_000;

type Probe = { ok: true; health: Health } | { ok: false; reason: string };

async function probe(service: string, kind: HealthProbe): Promise<Probe> {
  try {
    return { ok: true, health: await api.health(service, kind) };
  } catch (err) {
    return { ok: false, reason: errorMessage(err) };
  }
}

function verdict(result: Probe, kind: HealthProbe): HTMLElement {
  const good = result.ok && (kind === 'live' ? result.health.status === 'ok' : result.health.status === 'ready');
  const text = !result.ok ? 'Unreachable' : good ? (kind === 'live' ? 'Live' : 'Ready') : 'Not ready';
  return h(
    'span',
    { class: `health ${good ? 'health-up' : 'health-down'}`, 'data-health': good ? 'up' : 'down' },
    text,
  );
}

function checks(result: Probe): HTMLElement {
  if (!result.ok) return h('span', { class: 'muted' }, result.reason);
  return h(
    'ul',
    { class: 'plain checks' },
    Object.entries(result.health.checks ?? {}).map(([name, check]) =>
      h(
        'li',
        { 'data-check': name, 'data-health': check.status },
        h('span', { class: `dot ${check.status === 'up' ? 'dot-up' : 'dot-down'}`, 'aria-hidden': 'true' }),
        name,
        check.error ? h('span', { class: 'muted' }, `: ${check.error}`) : null,
      ),
    ),
  );
}

/** For admins: each service's liveness and readiness through the gateway, and the operators' tools. */
export function opsScreen(outlet: HTMLElement): Cleanup {
  const checked = h('span', { class: 'muted' });
  const rows = h('tbody', {});
  const refresh = h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh now');

  const load = async (): Promise<void> => {
    refresh.setAttribute('aria-busy', 'true');
    const results = await Promise.all(
      SERVICES.map(async ([service]) => Promise.all([probe(service, 'live'), probe(service, 'ready')])),
    );
    rows.replaceChildren(
      ...SERVICES.map(([service, name, role], i) => {
        const [live, ready] = results[i]!;
        return h(
          'tr',
          { 'data-service': service },
          h('th', { scope: 'row' }, h('strong', {}, name), h('div', { class: 'muted small' }, `${service} · ${role}`)),
          h('td', { 'data-probe': 'live' }, verdict(live, 'live')),
          h('td', { 'data-probe': 'ready' }, verdict(ready, 'ready')),
          h('td', {}, checks(ready)),
        );
      }),
    );
    checked.textContent = `Checked at ${new Date().toLocaleTimeString()}; again every ${REFRESH_MS / 1000} seconds.`;
    refresh.removeAttribute('aria-busy');
  };

  outlet.append(
    h(
      'section',
      { class: 'stack ops' },
      h('div', { class: 'row spread' }, h('h1', {}, 'Operations'), refresh),
      h('p', { class: 'muted' }, "Each service's /health/live and /health/ready, asked through the gateway."),
      h(
        'div',
        { class: 'card' },
        h(
          'table',
          { class: 'lines health-table' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Service'),
              h('th', {}, 'Liveness'),
              h('th', {}, 'Readiness'),
              h('th', {}, 'Dependencies'),
            ),
          ),
          rows,
        ),
        h('p', { 'aria-live': 'polite' }, checked),
      ),
      h('h2', {}, 'Tools'),
      h(
        'ul',
        { class: 'grid tools' },
        TOOLS.map(([name, url, what]) =>
          h(
            'li',
            { class: 'card' },
            h('a', { href: url, target: '_blank', rel: 'noopener', 'data-tool': name }, h('strong', {}, name)),
            h('div', { class: 'muted small' }, url.replace(/^https?:\/\//, '')),
            h('p', {}, what),
          ),
        ),
      ),
    ),
  );

  void load();
  const timer = window.setInterval(() => void load(), REFRESH_MS);
  return () => window.clearInterval(timer);
}
