/**
 * Locating and loading the C++ addon `medals_native.node` (see native/README.md), the types every
 * kernel family shares, and the argument checks more than one wrapper needs.
 *
 * The addon is loaded lazily on first use, so importing any native module never fails; a missing
 * build surfaces as an Error that says to run `npm run build:native`. The same file works from
 * the TypeScript sources (`native/addon.ts`, e.g. under vitest) and from the compiled output
 * (`dist/native/addon.js`): the package root is found by walking up from this file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Voxel buffers the addon accepts; x is fastest: index = x + X * (y + Y * z). */
export type VoxelArray = Uint8Array | Int16Array | Uint16Array | Int32Array | Float32Array;

/** Volume extent [X, Y, Z], each a positive integer. */
export type Size3 = readonly [number, number, number];

/** Inclusive voxel bounding box, coordinates as [x, y, z]. */
export interface BoundingBox {
  min: [number, number, number];
  max: [number, number, number];
}

/** Integer voxel buffers: label maps and the inputs of connected components. */
export type LabelArray = Uint8Array | Int16Array | Uint16Array | Int32Array;

/** Neighbourhood of a voxel: 6 faces, 18 (+ edges) or 26 (+ corners). */
export type Connectivity = 6 | 18 | 26;

const PACKAGE_NAME = 'medals';
/** Location of the addon relative to the package root, as written by `npm run build:native`. */
export const ADDON_RELATIVE_PATH = join('native', 'build', 'Release', 'medals_native.node');

function isPackageRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * Directories from `fromUrl` upwards whose package.json is named `medals`, nearest first.
 * (Usually one; a package.json copied into dist/ would add a second, nearer one.)
 */
function packageRoots(fromUrl: string): string[] {
  const roots: string[] = [];
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    if (isPackageRoot(dir)) roots.push(dir);
    const parent = dirname(dir);
    if (parent === dir) return roots;
    dir = parent;
  }
}

/**
 * Absolute path of medals_native.node: under the nearest `medals` package root that holds
 * a built addon, else where the nearest root would hold it. Throws if no root is found.
 */
export function addonPath(fromUrl: string = import.meta.url): string {
  const roots = packageRoots(fromUrl);
  if (roots.length === 0) {
    throw new Error(
      `medals native addon: no package.json named "${PACKAGE_NAME}" above ${fileURLToPath(fromUrl)}`,
    );
  }
  const built = roots.find((root) => existsSync(join(root, ADDON_RELATIVE_PATH)));
  return join(built ?? roots[0], ADDON_RELATIVE_PATH);
}

/** Loads the addon at `path`; throws an Error naming `npm run build:native` if absent or broken. */
/** The addon at `path`, typed by the caller (each kernel module declares its own part). */
export function loadAddon<T>(path: string): T {
  if (!existsSync(path)) {
    throw new Error(`medals native addon not found at ${path}; run \`npm run build:native\` to build it`);
  }
  try {
    return createRequire(import.meta.url)(path) as T;
  } catch (cause) {
    throw new Error(
      `medals native addon at ${path} failed to load (${(cause as Error).message}); ` +
        'rebuild it with `npm run build:native`',
      { cause },
    );
  }
}

let cached: unknown;

/** The addon of this package, loaded once on first use (see addonPath and loadAddon). */
export function loadNative<T>(): T {
  cached ??= loadAddon<unknown>(addonPath());
  return cached as T;
}

/**
 * Label values as the addon takes them: null for "every non-zero value", else an Int32Array.
 * Checked here because the addon sees only the Int32Array, where an out-of-range number would
 * already have wrapped.
 */
export function valueList(values: readonly number[] | Int32Array | undefined): Int32Array | null {
  if (values === undefined) return null;
  if (values instanceof Int32Array) return values;
  if (!Array.isArray(values)) throw new TypeError('values must be an Array of label values or an Int32Array');
  for (const v of values) {
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw new RangeError(`values must be 32-bit integers, got ${String(v)}`);
    }
  }
  return Int32Array.from(values);
}
