import { STACK } from './lib/stack.js';
import { mib } from './lib/traffic/memory.js';
import { FlagError, flag, readFlags } from './lib/traffic/options.js';
import { progressDisplay, summary } from './lib/traffic/progress.js';
import { DEFAULTS } from './lib/traffic/simulation.js';
import { soak, type SoakReport, soakTiming } from './lib/traffic/soak.js';

/**
 * `npm run soak [-- --minutes 10 --rate 1 --gateway http://localhost:8000]`: the simulator's orders and
 * public reads through the gateway for `--minutes`, then every error and each process's memory at the
 * start and the end; exits 1 on any error or on memory grown past its limit after warm-up.
 *
 * Without `--gateway` it starts the whole stack itself, as the system tests do, in a database, broker
 * vhost and Redis database of its own (`SOAK_DATABASE_NAME`, `SOAK_AMQP_VHOST`, `SOAK_REDIS_URL`:
 * `foodflow_soak`, `foodflow_soak`, `redis://127.0.0.1:6379/15`), made afresh for each run, with the
 * gateway's rate limits raised. With `--gateway` it soaks a running `npm start` stack (memory from
 * each process's `/metrics` on its usual port); that gateway's limits must then allow the traffic
 * (`RATE_LIMIT_PER_MINUTE=100000 RATE_LIMIT_PER_HOUR=1000000 npm start`).
 */
/** Without `--gateway`: a whole stack of the soak's own. */
const OWN_STACK = 'a stack of its own';
const gatewayFlag = flag.gateway(OWN_STACK);

let flags;
try {
  flags = readFlags(process.argv.slice(2), {
    minutes: flag.minutes(10),
    rate: flag.rate(DEFAULTS.rate),
    gateway: { ...gatewayFlag, check: (value) => value === OWN_STACK || gatewayFlag.check(value) },
  });
} catch (err) {
  if (!(err instanceof FlagError)) throw err;
  console.error(err.message);
  process.exit(2);
}

const minutes = Number(flags.minutes);
const given = flags.gateway !== OWN_STACK;

async function ownStack() {
  process.env['SYSTEM_TEST_DATABASE_NAME'] = process.env['SOAK_DATABASE_NAME'] ?? 'foodflow_soak';
  process.env['SYSTEM_TEST_AMQP_VHOST'] = process.env['SOAK_AMQP_VHOST'] ?? 'foodflow_soak';
  process.env['SYSTEM_TEST_REDIS_URL'] = process.env['SOAK_REDIS_URL'] ?? 'redis://127.0.0.1:6379/15';
  // Read where the stack lives from the variables just set: imported only now.
  const { dropDatabase, freshVhost } = await import('../tests/setup/global-setup.js');
  const { bootstrapDatabase } = await import('../db/bootstrap.js');
  const { ADMIN_DATABASE_URL, SYSTEM_TEST_DATABASE, SYSTEM_TEST_VHOST } = await import('../tests/setup/test-env.js');
  const { startStack } = await import('../tests/system/stack.js');
  console.log(`Preparing ${SYSTEM_TEST_DATABASE} and starting the stack…`);
  await dropDatabase(SYSTEM_TEST_DATABASE);
  await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: SYSTEM_TEST_DATABASE });
  freshVhost(SYSTEM_TEST_VHOST);
  const stack = await startStack();
  const names = ['user', 'restaurant', 'order', 'delivery', 'gateway'] as const;
  return {
    gatewayUrl: stack.gatewayUrl,
    processes: Object.fromEntries(names.map((name) => [name, stack.url(name)])),
    stop: stack.stop,
  };
}

const target = given
  ? {
      gatewayUrl: flags.gateway.replace(/\/+$/, ''),
      processes: Object.fromEntries(STACK.map((p) => [p.name, `http://127.0.0.1:${p.port}`])),
      stop: async () => undefined,
    }
  : await ownStack();

const rate = Number(flags.rate);
const display = progressDisplay(process.stdout, Math.ceil(rate * minutes * 60));
const abort = (): void => {
  console.error('\nStopped before the end: no verdict.');
  void target.stop().finally(() => process.exit(130));
};
process.once('SIGINT', abort);
console.log(`Soaking ${target.gatewayUrl} for ${minutes} min: orders at ${rate}/s with reads beside them…`);
let report: SoakReport;
try {
  report = await soak({
    ...target,
    minutes,
    rate,
    readsPerS: 5,
    ...soakTiming(minutes),
    simulation: { ...DEFAULTS, cast: `soak-${Date.now().toString(36)}` },
    onProgress: (p) => display.show(p),
  });
} finally {
  display.end();
  await target.stop();
}

console.log(summary(report.simulation));
console.log(`Reads: ${report.reads}, ${report.readErrors} failed`);
console.table(
  report.memory.map((m) => ({
    process: m.process,
    'RSS first': m.first ? mib(m.first.rssBytes) : '?',
    'RSS last': m.last ? mib(m.last.rssBytes) : '?',
    'heap first': m.first ? mib(m.first.heapUsedBytes) : '?',
    'heap last': m.last ? mib(m.last.heapUsedBytes) : '?',
    'heap after warm-up': mib(m.start.heapUsedBytes),
    'heap at the end': mib(m.end.heapUsedBytes),
  })),
);
console.log(report.passed ? 'Soak passed: no errors, memory flat.' : `Soak failed:\n  ${report.problems.join('\n  ')}`);
process.exit(report.passed ? 0 : 1);
