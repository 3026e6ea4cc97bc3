import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const __dirname = dirname(fileURLToPath(import.meta.url));
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@shared': resolve(__dirname, 'src/shared') } },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/parity/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    // Engine math runs on one wasm backend per worker; forks keep tfjs singletons apart.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
