import { performance } from 'node:perf_hooks';
import bcrypt from 'bcryptjs';

/**
 * `node --import tsx bench/baselines/bcrypt.ts <cost> <seconds>`: one thread comparing a password with a
 * bcryptjs hash of `cost`, back to back, as fast as it goes; prints `{ comparesPerS, meanMs }`. The
 * user service's logins are reported as a ratio to this: what bcrypt alone does on the same machine
 * at the same moment.
 */
const [cost = '10', seconds = '8'] = process.argv.slice(2);
const password = 'correct-horse-battery';
const hash = bcrypt.hashSync(password, Number(cost));
bcrypt.compareSync(password, hash);

const startedAt = performance.now();
const until = startedAt + Number(seconds) * 1000;
let compares = 0;
while (performance.now() < until) {
  if (!bcrypt.compareSync(password, hash)) throw new Error('the password no longer matches its hash');
  compares += 1;
}
const elapsedMs = performance.now() - startedAt;
process.stdout.write(
  `${JSON.stringify({ comparesPerS: (compares * 1000) / elapsedMs, meanMs: elapsedMs / compares })}\n`,
);
