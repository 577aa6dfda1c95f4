import { fileURLToPath } from 'node:url';
import { checkDependencies } from './lib/infrastructure.js';
import { ensureDebianPackages, run } from './lib/run.js';
import { TEST_TOOLS } from './lib/test-tools.js';

/**
 * `npm test`: what the tests need, then lint, type-check and every test. The test database, Redis
 * logical database and RabbitMQ vhost are separate from development's (see tests/setup).
 */
const root = fileURLToPath(new URL('..', import.meta.url));
process.chdir(root);

const step = (title: string): void => console.log(`\n▶ ${title}`);

if (!(await checkDependencies())) process.exit(1);

step('System tools the tests use');
ensureDebianPackages(TEST_TOOLS);

step('Lint');
run('npx', ['eslint', '.']);
run('npx', ['prettier', '--check', '--log-level', 'warn', '.']);

step('Type-check');
// The workspaces, the tests, scripts and benchmarks, and the web app: one definition, `npm run typecheck`.
run('npm', ['run', '--silent', 'typecheck']);

step('Tests');
run('npx', ['vitest', 'run', ...process.argv.slice(2)]);
