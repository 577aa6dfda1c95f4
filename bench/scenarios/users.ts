import { execFileSync } from 'node:child_process';
import { BENCH_PASSWORD, startUserService } from '../fixtures/user-service.js';
import { combined, median } from '../lib/measure.js';
import { ROOT } from '../lib/processes.js';
import type { Load, Measurement, Scenario } from '../lib/types.js';

/**
 * `users.login`: sign-ins through the real user service (rate limiter in Redis, account read and
 * decryption, bcrypt on the hashing pool, a refresh family written, an ES256 token signed), as fast as
 * they go, while a signed-in customer reads their profile at a fixed rate beside them: the logins must
 * not starve every other request. The ratio is to bcryptjs comparing at the same cost, back to back on
 * one thread with nothing else running, measured in rounds alternating with the logins (seconds apart,
 * the order reversed every other round), so a shared machine whose speed drifts moves both sides alike;
 * each figure is the median of the rounds'.
 */

const ACCOUNTS = 40;
const COST = Number(process.env['BCRYPT_COST'] ?? 10);
/** Rounds of bcrypt alone and logins, seconds apart, the order reversed every other round (as the runner's rounds). */
const ROUNDS = 5;

/** bcryptjs alone for `seconds`, in a process of its own with the machine otherwise as the service had it. */
function bcryptAlone(seconds: number): Measurement {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', `${ROOT}bench/baselines/bcrypt.ts`, String(COST), String(seconds)],
    { cwd: ROOT, encoding: 'utf8' },
  );
  const { comparesPerS, meanMs } = JSON.parse(output) as { comparesPerS: number; meanMs: number };
  return { rps: comparesPerS, p50Ms: meanMs, p99Ms: meanMs, errors: 0 };
}

export const scenarios: Scenario[] = [
  {
    name: 'users.login',
    goal: '≥ 15 logins/s at cost 10 on 2 cores with the profile read’s p99 ≤ 100 ms',
    async run(context) {
      const stack = await context.fixture('users.service', () => startUserService(ACCOUNTS));
      const logins: Load = { connections: 8, durationS: 4, warmupS: 2 };
      const reads: Load = { connections: 4, durationS: 4, warmupS: 2, rate: 20 };
      let next = 0;
      const login = {
        baseUrl: stack.baseUrl,
        path: '/api/auth/login',
        method: 'POST' as const,
        headers: { 'content-type': 'application/json' },
        pid: stack.pid,
        next: () => {
          next = (next + 1) % stack.emails.length;
          return {
            path: '/api/auth/login',
            body: JSON.stringify({ email: stack.emails[next], password: BENCH_PASSWORD }),
          };
        },
      };
      const profile = {
        baseUrl: stack.baseUrl,
        path: '/api/users/profile',
        headers: { authorization: `Bearer ${stack.accessToken}` },
      };
      const rounds: { alone: Measurement; logins: Measurement; reads: Measurement }[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const warm = round === 0 ? {} : { warmupS: 0 };
        const measureLogins = () =>
          Promise.all([
            context.measure(login, { ...logins, ...warm }),
            context.measure(profile, { ...reads, ...warm }),
          ]);
        let alone: Measurement;
        let measured: [Measurement, Measurement];
        if (round % 2 === 0) {
          alone = bcryptAlone(logins.durationS);
          measured = await measureLogins();
        } else {
          measured = await measureLogins();
          alone = bcryptAlone(logins.durationS);
        }
        rounds.push({ alone, logins: measured[0], reads: measured[1] });
      }
      const ratios = rounds.map((r) => r.logins.rps / r.alone.rps);
      context.log(
        `users.login: in each round, logins/s ${rounds.map((r) => r.logins.rps.toFixed(1)).join(', ')}; ` +
          `bcryptjs alone ${rounds.map((r) => r.alone.rps.toFixed(1)).join(', ')}; ratio ${ratios.map((r) => r.toFixed(2)).join(', ')} ` +
          `(median ${median(ratios).toFixed(3)}); profile p99 ${rounds.map((r) => r.reads.p99Ms.toFixed(1)).join(', ')} ms`,
      );
      return {
        measurement: combined(rounds.map((r) => r.logins)),
        load: logins,
        compare: 'throughput',
        ratio: median(ratios),
        reference: {
          name: `baseline.bcryptjs[cost ${COST}, one thread]`,
          measurement: combined(rounds.map((r) => r.alone)),
        },
        alongside: [{ name: 'users.login.profile-read', measurement: combined(rounds.map((r) => r.reads)) }],
      };
    },
  },
];
