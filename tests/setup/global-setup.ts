import { execFileSync } from 'node:child_process';
import { bootstrapDatabase } from '../../db/bootstrap.js';
import { ADMIN_DATABASE_URL, TEST_DATABASE, TEST_VHOST } from './test-env.js';

/** Makes sure the RabbitMQ virtual host the tests use exists (needs `rabbitmqctl`, i.e. a local broker). */
function ensureVhost(): void {
  try {
    const vhosts = execFileSync('rabbitmqctl', ['-q', 'list_vhosts'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (!vhosts.split('\n').some((line) => line.trim() === TEST_VHOST)) {
      execFileSync('rabbitmqctl', ['-q', 'add_vhost', TEST_VHOST], { stdio: 'ignore' });
    }
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', TEST_VHOST, 'guest', '.*', '.*', '.*'], {
      stdio: 'ignore',
    });
  } catch (err) {
    throw new Error(
      `Could not prepare the RabbitMQ vhost "${TEST_VHOST}" with rabbitmqctl (is RabbitMQ running locally?): ${String(err)}`,
    );
  }
}

/** Runs once before all test files: the test database, migrated, and the broker's test vhost. */
export default async function setup(): Promise<void> {
  await bootstrapDatabase({ adminUrl: ADMIN_DATABASE_URL, database: TEST_DATABASE });
  ensureVhost();
}
