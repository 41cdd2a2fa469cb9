/**
 * The report's viewer script: functions/lib/report/viewer/entry.js bundled with NiiVue by esbuild
 * into one minified IIFE (global `MedalsViewer`) that report.html inlines, so the page needs no
 * server, CDN or neighbouring file.
 *
 * Where the bundle comes from, first match wins:
 * 1. `MEDALS_VIEWER_BUNDLE` (a path), when set;
 * 2. dist/viewer/medals-viewer.js, written at build time by `npm run build:viewer`
 *    (node dist/functions/lib/report/build-viewer.js) and shipped with the package, when it was
 *    built from the current entry.js and NiiVue (its first line records a key of both);
 * 3. a cache, node_modules/.cache/medals/medals-viewer-<key>.js, built on first use with esbuild
 *    (a development dependency: a checkout runs the tests before any build).
 * Installs without development dependencies (a Lambda) must therefore ship (2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { MedalsError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { packageRoot } from '../core/package-info.js';
import { storageFor } from '../storage/index.js';

export const VIEWER_GLOBAL = 'MedalsViewer';
/** Relative to the package root. */
const VIEWER_ENTRY = path.join('functions', 'lib', 'report', 'viewer', 'entry.js');
export const VIEWER_BUNDLE = path.join('dist', 'viewer', 'medals-viewer.js');
const CACHE_DIR = path.join('node_modules', '.cache', 'medals');

/** esbuild's options; part of the key, so changing them rebuilds. */
const BUILD_OPTIONS = {
  bundle: true,
  format: 'iife',
  globalName: VIEWER_GLOBAL,
  minify: true,
  platform: 'browser',
  target: 'es2020',
  legalComments: 'inline',
  charset: 'utf8',
} as const;

function niivueVersion(root: string): string {
  try {
    const pkg = path.join(root, 'node_modules', '@niivue', 'niivue', 'package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** A key of the entry's source, NiiVue's version and the build options; null without the source. */
function viewerBundleKey(root: string = packageRoot()): string | null {
  const entry = path.join(root, VIEWER_ENTRY);
  if (!existsSync(entry)) return null;
  return sha256(readFileSync(entry), `\0${niivueVersion(root)}\0${JSON.stringify(BUILD_OPTIONS)}`).slice(
    0,
    16,
  );
}

function headerLine(key: string, root: string): string {
  return `/* medals-viewer ${key}: functions/lib/report/viewer/entry.js + NiiVue ${niivueVersion(root)} (BSD-2-Clause, github.com/niivue/niivue) */\n`;
}

function keyOf(bundle: string): string | null {
  return /^\/\* medals-viewer ([0-9a-f]{16}|unknown):/.exec(bundle)?.[1] ?? null;
}

async function writeBundle(file: string, bundle: string): Promise<void> {
  await storageFor(file).writeText(file, bundle, { contentType: 'text/javascript; charset=utf-8' });
}

/**
 * Bundles the viewer with esbuild and writes it to `outFile` (atomically); returns the bundle.
 * The text never contains `</script` (esbuild escapes it in strings), so it can be inlined.
 */
export async function buildViewerBundle(outFile?: string, root: string = packageRoot()): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    throw new MedalsError(
      'INTERNAL',
      `the report viewer is not built (${VIEWER_BUNDLE} is missing) and esbuild is not installed to build it; ` +
        'run `npm run build` in a checkout with development dependencies',
      { cause: e },
    );
  }
  const result = await esbuild.build({
    ...BUILD_OPTIONS,
    entryPoints: [path.join(root, VIEWER_ENTRY)],
    absWorkingDir: root,
    write: false,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].text;
  if (/<\/script/i.test(code)) {
    throw new MedalsError('INTERNAL', 'the viewer bundle contains "</script" and cannot be inlined');
  }
  const bundle = headerLine(viewerBundleKey(root) ?? 'unknown', root) + code;
  if (outFile) await writeBundle(outFile, bundle);
  return bundle;
}

let cached: Promise<string> | undefined;

/** The viewer bundle's text (see the module comment for where it comes from); read once. */
export function viewerBundle(): Promise<string> {
  cached ??= locateBundle().catch((e) => {
    cached = undefined;
    throw e;
  });
  return cached;
}

async function locateBundle(): Promise<string> {
  const override = process.env.MEDALS_VIEWER_BUNDLE;
  if (override) return readFile(override, 'utf8');
  const root = packageRoot();
  const key = viewerBundleKey(root);
  const prebuilt = path.join(root, VIEWER_BUNDLE);
  if (existsSync(prebuilt)) {
    const text = await readFile(prebuilt, 'utf8');
    if (key === null || keyOf(text) === key) return text;
  }
  if (key === null) {
    throw new MedalsError(
      'INTERNAL',
      `the report viewer is not built: neither ${prebuilt} nor ${path.join(root, VIEWER_ENTRY)} exists`,
    );
  }
  const cacheFile = path.join(root, CACHE_DIR, `medals-viewer-${key}.js`);
  if (existsSync(cacheFile)) return readFile(cacheFile, 'utf8');
  const bundle = await buildViewerBundle(undefined, root);
  // A read-only install still gets its report; it just bundles again next time.
  await writeBundle(cacheFile, bundle).catch(() => {});
  // Bundles of earlier entry.js or NiiVue versions are of no further use.
  const stale = await readdir(path.dirname(cacheFile)).catch(() => [] as string[]);
  for (const name of stale) {
    if (/^medals-viewer-[0-9a-f]{16}\.js$/.test(name) && name !== path.basename(cacheFile)) {
      await rm(path.join(path.dirname(cacheFile), name), { force: true }).catch(() => {});
    }
  }
  return bundle;
}
