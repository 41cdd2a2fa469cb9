import { defineConfig } from 'vitest/config';

/**
 * `npm run test:parity`: the official Medal S inference beside medals on the project's parity
 * cases (test/parity/, models/parity/). Needs `npm run parity:setup` (the oracle's Python
 * environment); not part of `npm test`, run by CI after it. Long timeouts: each case runs both
 * pipelines on two cores.
 */
export default defineConfig({
  test: {
    include: ['test/parity/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    disableConsoleIntercept: true,
  },
});
