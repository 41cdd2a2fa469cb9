import { defineConfig } from 'vitest/config';

/**
 * `npm run bench`: the benchmarks in test/bench/*.bench.ts. Each prints a table of ratios
 * measured side by side in the same run (no timed assertions). One file at a time, so that
 * benchmarks do not compete for cores and memory bandwidth; long timeouts; console output goes
 * straight to the terminal.
 */
export default defineConfig({
  test: {
    include: ['test/bench/**/*.bench.ts'],
    setupFiles: ['./functions/lib/core/polyfills.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 600_000,
    pool: 'forks',
    fileParallelism: false,
    disableConsoleIntercept: true,
  },
});
