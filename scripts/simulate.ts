import { FlagError, flag, readFlags } from './lib/traffic/options.js';
import { progressDisplay, summary } from './lib/traffic/progress.js';
import { DEFAULTS, Simulation } from './lib/traffic/simulation.js';

/**
 * `npm run simulate [-- --rate 2 --orders 50 --minutes 5 --gateway http://localhost:8000]`: plays
 * customers ordering, owners moving their orders along and drivers riding to the restaurant and on to
 * the customer, through the gateway of a running stack (`npm start`), so its dashboards and live map
 * show life. It stops by itself after `--orders` orders or `--minutes` minutes (and the deliveries then
 * under way); Ctrl-C stops it at once, with the summary.
 */
let flags;
try {
  flags = readFlags(process.argv.slice(2), {
    rate: flag.rate(DEFAULTS.rate),
    orders: flag.orders(DEFAULTS.orders),
    minutes: flag.minutes(DEFAULTS.minutes),
    gateway: flag.gateway('http://localhost:8000'),
  });
} catch (err) {
  if (!(err instanceof FlagError)) throw err;
  console.error(err.message);
  process.exit(2);
}

const gatewayUrl = flags.gateway.replace(/\/+$/, '');
try {
  await fetch(`${gatewayUrl}/health/ready`, { signal: AbortSignal.timeout(3000) });
} catch {
  console.error(`Nothing answers at ${gatewayUrl}: start the stack with \`npm start\` (or pass --gateway).`);
  process.exit(1);
}

const orders = Number(flags.orders);
const display = progressDisplay(process.stdout, orders);
const simulation = new Simulation({
  ...DEFAULTS,
  gatewayUrl,
  rate: Number(flags.rate),
  orders,
  minutes: Number(flags.minutes),
  onProgress: display.show,
});
let interrupted = false;
process.on('SIGINT', () => {
  // A second Ctrl-C does not wait for the drivers to sign off.
  if (interrupted) process.exit(130);
  interrupted = true;
  simulation.stop();
});
console.log(
  `Simulating through ${gatewayUrl}: up to ${orders} orders at ${flags.rate}/s for up to ${flags.minutes} min…`,
);
const report = await simulation.run();
display.end();
console.log(summary(report));
process.exit(interrupted ? 130 : report.failed > 0 ? 1 : 0);
