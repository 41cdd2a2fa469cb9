import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The torch-based export proof runs with `npm run test:export` (vitest.export.config.ts), the
    // official-oracle parity cases with `npm run test:parity` (vitest.parity.config.ts).
    exclude: [...configDefaults.exclude, 'test/export/**', 'test/parity/**'],
    setupFiles: ['./functions/lib/core/polyfills.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
