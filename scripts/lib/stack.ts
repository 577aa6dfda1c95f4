import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_KEY_VARIABLES, type DevKeys, PRIVATE_KEY_VARIABLES } from './keys.js';

/** The processes `npm start` runs, in start order, with the port each listens on. */
export interface StackProcess {
  name: string;
  dir: string;
  port: number;
}

export const STACK: StackProcess[] = [
  { name: 'user', dir: 'services/user', port: 3001 },
  { name: 'restaurant', dir: 'services/restaurant', port: 3002 },
  { name: 'order', dir: 'services/order', port: 3003 },
  { name: 'delivery', dir: 'services/delivery', port: 3004 },
  { name: 'gateway', dir: 'gateway', port: 8000 },
];

/**
 * How a process of the stack is started: its tracing first (a no-op unless `OTEL_EXPORTER_OTLP_ENDPOINT` is
 * set), loaded before the process's own modules so their libraries are instrumented, then its `main.js`.
 */
export const nodeArgs = (dir: string): string[] => [
  '--enable-source-maps',
  '--import',
  '@foodflow/platform/tracing',
  `${dir}/dist/main.js`,
];

/** The name a process's spans carry (`OTEL_SERVICE_NAME`): the service's own, as it names itself in its logs. */
export const traceServiceName = (processName: string): string =>
  processName === 'gateway' ? 'gateway' : `${processName}-service`;

/** The web app, served by Vite's static preview server; it calls the API through the gateway. */
export const WEB_APP = { name: 'web', dir: 'frontend', port: 5173, apiUrl: 'http://localhost:8000' };

/** Only what has been built so far: a service without `src/main.ts` does not exist yet. */
export const presentProcesses = (root: string): StackProcess[] =>
  STACK.filter((p) => existsSync(join(root, p.dir, 'src', 'main.ts')));

/** What only the user service may hold: the token-signing key and the keys to personal data. */
const USER_SERVICE_SECRETS = [...PRIVATE_KEY_VARIABLES, ...DATA_KEY_VARIABLES];

/**
 * The whole environment of one process of the local stack: the operator's own, where its peers listen,
 * and the development keys standing in for those the operator did not configure. The signing and
 * data-encryption keys reach the user service only.
 */
export function stackEnv(processName: string, keys: DevKeys, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const user = processName === 'user';
  const own = Object.fromEntries(Object.entries(env).filter(([name]) => user || !USER_SERVICE_SECRETS.includes(name)));
  return {
    ...own,
    NODE_ENV: 'development',
    USER_SERVICE_URL: 'http://127.0.0.1:3001',
    RESTAURANT_SERVICE_URL: 'http://127.0.0.1:3002',
    ORDER_SERVICE_URL: 'http://127.0.0.1:3003',
    DELIVERY_SERVICE_URL: 'http://127.0.0.1:3004',
    OTEL_SERVICE_NAME: traceServiceName(processName),
    ...(keys.tokens ? { JWT_PUBLIC_KEY_FILE: keys.tokens.publicKeyFile } : {}),
    ...(user && keys.tokens ? { JWT_PRIVATE_KEY_FILE: keys.tokens.privateKeyFile } : {}),
    ...(user && keys.dataKeysFile ? { DATA_ENCRYPTION_KEYS_FILE: keys.dataKeysFile } : {}),
  };
}

/**
 * The environment the demo seeds run with: the user service's own, since the users seed hashes and
 * encrypts exactly as that service does and must find the same data-encryption key, wherever it is.
 */
export const seedEnv = (keys: DevKeys, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => stackEnv('user', keys, env);
