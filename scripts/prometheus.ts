/**
 * npm run prometheus: Debian's Prometheus on http://localhost:9090 scraping the services `npm start`
 * runs, with the Compose configuration's jobs and alert rules (Kong and RabbitMQ, which do not run
 * locally, left out). Its data stays in .run/prometheus between runs; Ctrl-C stops it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { localPrometheusConfig, prometheusArgs } from './lib/prometheus.js';
import { ensureDebianPackages, run } from './lib/run.js';
import { STACK } from './lib/stack.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const ADDRESS = '127.0.0.1:9090';

ensureDebianPackages([{ command: 'prometheus', pkg: 'prometheus' }]);
const services = Object.fromEntries(
  STACK.filter((p) => p.name !== 'gateway').map((p) => [`${p.name}-service`, `127.0.0.1:${p.port}`]),
);
const { config, dropped } = localPrometheusConfig(root, { self: ADDRESS, services });
const dir = join(root, '.run', 'prometheus');
mkdirSync(dir, { recursive: true });
const configFile = join(dir, 'prometheus.yml');
writeFileSync(configFile, stringify(config));
console.log(`Prometheus on http://localhost:9090 (alerts: /alerts), scraping ${Object.values(services).join(', ')}`);
console.log(`Not scraped locally: ${dropped.join(', ')}. Ctrl-C stops it.`);
run('prometheus', prometheusArgs(configFile, join(dir, 'data'), ADDRESS));
