/**
 * Typed wrapper over the C++ addon `medals_native.node` (see native/README.md).
 *
 * The addon is loaded lazily on first use, so importing this module never fails; a missing
 * build surfaces as an Error that says to run `npm run build:native`. The same file works
 * from the TypeScript sources (`native/index.ts`, e.g. under vitest) and from the compiled
 * output (`dist/native/index.js`): the package root is found by walking up from this file.
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

/** The raw functions exported by medals_native.node. */
export interface NativeAddon {
  nonzeroBoundingBox(data: VoxelArray, size: Size3): BoundingBox | null;
  countNonzero(data: VoxelArray, size: Size3): number;
}

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
export function loadAddon(path: string): NativeAddon {
  if (!existsSync(path)) {
    throw new Error(`medals native addon not found at ${path}; run \`npm run build:native\` to build it`);
  }
  try {
    return createRequire(import.meta.url)(path) as NativeAddon;
  } catch (cause) {
    throw new Error(
      `medals native addon at ${path} failed to load (${(cause as Error).message}); ` +
        'rebuild it with `npm run build:native`',
      { cause },
    );
  }
}

let cached: NativeAddon | undefined;

/** The addon of this package, loaded once on first use (see addonPath and loadAddon). */
export function loadNative(): NativeAddon {
  cached ??= loadAddon(addonPath());
  return cached;
}

/**
 * Inclusive bounding box of the voxels with value !== 0 (NaN counts as nonzero), or null
 * when there are none. Throws TypeError/RangeError on a bad buffer type, size, or length.
 */
export function nonzeroBoundingBox(data: VoxelArray, size: Size3): BoundingBox | null {
  return loadNative().nonzeroBoundingBox(data, size);
}

/** Number of voxels with value !== 0 (NaN counts as nonzero); same checks as above. */
export function countNonzero(data: VoxelArray, size: Size3): number {
  return loadNative().countNonzero(data, size);
}
