import { execFileSync } from 'node:child_process';
import { BENCH_PASSWORD, startUserService } from '../fixtures/user-service.js';
import { ROOT } from '../lib/processes.js';
import type { Load, Measurement, Scenario } from '../lib/types.js';

/**
 * `users.login`: sign-ins through the real user service (rate limiter in Redis, account read and
 * decryption, bcrypt on the hashing pool, a refresh family written, an ES256 token signed), as fast as
 * they go, while a signed-in customer reads their profile at a fixed rate beside them: the logins must
 * not starve every other request. The ratio is to bcryptjs comparing at the same cost, back to back on
 * one thread with nothing else running, measured just before and just after in the same run (their mean),
 * so a machine whose speed drifts moves both sides alike.
 */

const ACCOUNTS = 40;
const COST = Number(process.env['BCRYPT_COST'] ?? 10);

/** bcryptjs alone, in a process of its own with the machine otherwise as the service had it. */
function bcryptAlone(seconds: number): { comparesPerS: number; meanMs: number } {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', `${ROOT}bench/baselines/bcrypt.ts`, String(COST), String(seconds)],
    { cwd: ROOT, encoding: 'utf8' },
  );
  return JSON.parse(output) as { comparesPerS: number; meanMs: number };
}

export const scenarios: Scenario[] = [
  {
    name: 'users.login',
    goal: '≥ 15 logins/s at cost 10 on 2 cores with the profile read’s p99 ≤ 100 ms',
    async run(context) {
      const stack = await context.fixture('users.service', () => startUserService(ACCOUNTS));
      const logins: Load = { connections: 8, durationS: 10, warmupS: 2 };
      const reads: Load = { connections: 4, durationS: 10, warmupS: 2, rate: 20 };
      const before = bcryptAlone(5);
      let next = 0;
      const [measurement, profile] = await Promise.all([
        context.measure(
          {
            baseUrl: stack.baseUrl,
            path: '/api/auth/login',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            pid: stack.pid,
            next: () => {
              next = (next + 1) % stack.emails.length;
              return {
                path: '/api/auth/login',
                body: JSON.stringify({ email: stack.emails[next], password: BENCH_PASSWORD }),
              };
            },
          },
          logins,
        ),
        context.measure(
          {
            baseUrl: stack.baseUrl,
            path: '/api/users/profile',
            headers: { authorization: `Bearer ${stack.accessToken}` },
          },
          reads,
        ),
      ]);
      const after = bcryptAlone(5);
      const comparesPerS = (before.comparesPerS + after.comparesPerS) / 2;
      const meanMs = (before.meanMs + after.meanMs) / 2;
      context.log(
        `users.login: ${measurement.rps.toFixed(1)} logins/s (service ${measurement.cpu?.server ?? '?'} cores), ` +
          `profile p99 ${profile.p99Ms.toFixed(1)} ms; bcryptjs alone ${before.comparesPerS.toFixed(1)} then ` +
          `${after.comparesPerS.toFixed(1)} compares/s (${meanMs.toFixed(1)} ms each)`,
      );
      const reference: Measurement = { rps: comparesPerS, p50Ms: meanMs, p99Ms: meanMs, errors: 0 };
      return {
        measurement,
        load: logins,
        compare: 'throughput',
        reference: { name: `baseline.bcryptjs[cost ${COST}, one thread]`, measurement: reference },
        alongside: [{ name: 'users.login.profile-read', measurement: profile }],
      };
    },
  },
];
