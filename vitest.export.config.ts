import { defineConfig } from 'vitest/config';

/**
 * `npm run test:export`: the ONNX export proof in test/export/ (models/export/proof.py exports a
 * small random Medal S, then the engine loads and runs it). Needs a python3 with
 * models/export/requirements-export.txt ($MEDALS_PYTHON picks one); skipped with a message
 * otherwise. Not part of `npm test`: the test skips itself unless MEDALS_EXPORT_TEST=1, which only
 * this config sets. Long timeouts (the export runs torch), one file at a time.
 */
export default defineConfig({
  test: {
    include: ['test/export/**/*.test.ts'],
    setupFiles: ['./functions/lib/core/polyfills.ts'],
    env: { MEDALS_EXPORT_TEST: '1' },
    testTimeout: 300_000,
    hookTimeout: 900_000,
    pool: 'forks',
    fileParallelism: false,
    disableConsoleIntercept: true,
  },
});
