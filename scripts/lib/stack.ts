import { existsSync } from 'node:fs';
import { join } from 'node:path';

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

/** The web app, served by Vite's static preview server; it calls the API through the gateway. */
export const WEB_APP = { dir: 'frontend', port: 5173, apiUrl: 'http://localhost:8000' };

/** Only what has been built so far: a service without `src/main.ts` does not exist yet. */
export const presentProcesses = (root: string): StackProcess[] =>
  STACK.filter((p) => existsSync(join(root, p.dir, 'src', 'main.ts')));

/** The environment every process of the local stack shares: where the keys are and where its peers listen. */
export function stackEnv(keys: {
  privateKeyFile: string;
  publicKeyFile: string;
  dataKeysFile: string;
}): Record<string, string> {
  return {
    NODE_ENV: 'development',
    JWT_PRIVATE_KEY_FILE: keys.privateKeyFile,
    JWT_PUBLIC_KEY_FILE: keys.publicKeyFile,
    DATA_ENCRYPTION_KEYS_FILE: keys.dataKeysFile,
    USER_SERVICE_URL: 'http://127.0.0.1:3001',
    RESTAURANT_SERVICE_URL: 'http://127.0.0.1:3002',
    ORDER_SERVICE_URL: 'http://127.0.0.1:3003',
    DELIVERY_SERVICE_URL: 'http://127.0.0.1:3004',
  };
}
