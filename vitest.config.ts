import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const platformSrc = fileURLToPath(new URL('./packages/platform/src', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources directly, including the shared package's.
    alias: [
      { find: /^@foodflow\/platform\/testing$/, replacement: `${platformSrc}/testing/index.ts` },
      { find: /^@foodflow\/platform$/, replacement: `${platformSrc}/index.ts` },
    ],
  },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'services/*/test/**/*.test.ts',
      'gateway/test/**/*.test.ts',
      'tests/**/*.test.ts',
    ],
    globalSetup: ['tests/setup/global-setup.ts'],
    // Test files share one broker and one database; running them one at a time keeps every
    // consumer's queue to its own test file.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
