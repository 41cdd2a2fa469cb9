// Bundles each light Lambda handler with everything it imports (zod, the AWS SDK clients) into
// one ES module under dist/lambda/<name>/handler.mjs, so a Lambda zip is one small file with no
// node_modules. Run after `tsc` (it bundles the compiled dist/ output).
//
// Preprocess, Restore and MetricsReport are not here: they load itk-wasm's WebAssembly pipelines
// from their npm package folders at run time, the C++ addon (native/build/Release) and data files
// found from the package root, none of which survive bundling. They run as container-image
// Lambdas from the one "steps" image (functions/lambda.Dockerfile; serverless.yml).
import { build } from 'esbuild';

/** Lambda name (serverless.yml) -> compiled handler. */
export const LAMBDAS = {
  validate: 'dist/functions/steps/validate/handler.js',
  recordFailure: 'dist/functions/steps/record-failure/handler.js',
  startCase: 'dist/functions/steps/start-case/handler.js',
  prepareSweep: 'dist/functions/steps/prepare-sweep/handler.js',
  aggregateSweep: 'dist/functions/steps/aggregate-sweep/handler.js',
};

for (const [name, entry] of Object.entries(LAMBDAS)) {
  await build({
    entryPoints: [entry],
    outfile: `dist/lambda/${name}/handler.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: true,
    logLevel: 'warning',
    // Some bundled dependencies are CommonJS and call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __medalsRequire } from 'node:module'; const require = __medalsRequire(import.meta.url);",
    },
  });
}
