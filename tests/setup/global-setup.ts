import { execFileSync } from 'node:child_process';
import { bootstrapDatabase } from '../../db/bootstrap.js';
import { ADMIN_DATABASE_URL, SYSTEM_TEST_DATABASE, SYSTEM_TEST_VHOST, TEST_DATABASE, TEST_VHOST } from './test-env.js';

/** Makes sure the RabbitMQ virtual host the tests use exists (needs `rabbitmqctl`, i.e. a local broker). */
function ensureVhost(vhost: string): void {
  try {
    const vhosts = execFileSync('rabbitmqctl', ['-q', 'list_vhosts'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (!vhosts.split('\n').some((line) => line.trim() === vhost)) {
      execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost], { stdio: 'ignore' });
    }
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*'], {
      stdio: 'ignore',
    });
  } catch (err) {
    throw new Error(
      `Could not prepare the RabbitMQ vhost "${vhost}" with rabbitmqctl (is RabbitMQ running locally?): ${String(err)}`,
    );
  }
}

/** Runs once before all test files: the test databases, migrated, and the broker's test vhosts. */
export default async function setup(): Promise<void> {
  for (const database of [TEST_DATABASE, SYSTEM_TEST_DATABASE]) {
    await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database });
  }
  ensureVhost(TEST_VHOST);
  ensureVhost(SYSTEM_TEST_VHOST);
}
