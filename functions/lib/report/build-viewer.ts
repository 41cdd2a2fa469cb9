/**
 * Build step: bundles the report viewer (NiiVue + functions/lib/report/viewer/entry.js) into
 * dist/viewer/medals-viewer.js, which report.html inlines. Run after `tsc` as
 * `node dist/functions/lib/report/build-viewer.js` (npm run build:viewer).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../core/package-info.js';
import { VIEWER_BUNDLE, buildViewerBundle } from './viewer-bundle.js';

async function buildViewer(): Promise<string> {
  const out = path.join(packageRoot(), VIEWER_BUNDLE);
  const bundle = await buildViewerBundle(out);
  process.stdout.write(`wrote ${out} (${(bundle.length / 1e6).toFixed(2)} MB)\n`);
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  buildViewer().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
