import { describe, expect, it } from 'vitest';
import { checkDependencies } from '../../scripts/lib/infrastructure.js';
import { ADMIN_DATABASE_URL, amqpUrl, TEST_REDIS_URL, TEST_VHOST } from '../setup/test-env.js';

const reachable = { ADMIN_DATABASE_URL, REDIS_URL: TEST_REDIS_URL, AMQP_URL: amqpUrl(TEST_VHOST) };

describe('the dependency check of npm start and npm test', () => {
  it('when PostgreSQL, Redis and RabbitMQ answer, then it passes and says nothing', async () => {
    const said: string[] = [];
    expect(await checkDependencies(reachable, (m) => said.push(m))).toBe(true);
    expect(said).toEqual([]);
  });

  it('when each is down, then it names each, at its address, with the command that starts it', async () => {
    const said: string[] = [];
    const down = {
      ADMIN_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres',
      REDIS_URL: 'redis://127.0.0.1:2/0',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:3',
    };
    expect(await checkDependencies(down, (m) => said.push(m))).toBe(false);
    expect(said).toHaveLength(3);
    expect(said[0]).toMatch(/PostgreSQL is not reachable at 127\.0\.0\.1:1\.\n.*Start it with: .*pg_ctlcluster/);
    expect(said[1]).toMatch(/Redis is not reachable at 127\.0\.0\.1:2\.\n.*Start it with: .*redis-server/);
    expect(said[2]).toMatch(/RabbitMQ is not reachable at 127\.0\.0\.1:3\.\n.*Start it with: .*rabbitmq-server/);
  });

  it('when only one is down, then only that one is reported', async () => {
    const said: string[] = [];
    const ok = await checkDependencies({ ...reachable, REDIS_URL: 'redis://127.0.0.1:2/0' }, (m) => said.push(m));
    expect(ok).toBe(false);
    expect(said).toEqual([expect.stringContaining('Redis is not reachable at 127.0.0.1:2')]);
  });
});
