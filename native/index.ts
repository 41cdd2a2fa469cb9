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

/** Integer voxel buffers: label maps and the inputs of connected components. */
export type LabelArray = Uint8Array | Int16Array | Uint16Array | Int32Array;

/** Neighbourhood of a voxel: 6 faces, 18 (+ edges) or 26 (+ corners). */
export type Connectivity = 6 | 18 | 26;

/** Connected components: labels 1..count in raster scan order, 0 for background. */
export interface Components {
  labels: Uint32Array;
  count: number;
}

/**
 * Per-label statistics. Every array has count + 1 entries indexed by label (index 0 is the
 * background); boxMin, boxMax and centroid hold 3 entries per label, (x, y, z). A label with no
 * voxels has box -1 and NaN centroid, value and mean.
 */
export interface ComponentStats {
  count: number;
  /** Voxel count per label. */
  voxels: Float64Array;
  /** Inclusive bounding box. */
  boxMin: Int32Array;
  boxMax: Int32Array;
  /** Mean voxel index (index space, not physical). */
  centroid: Float64Array;
  /** `values` at each label's first voxel in raster order, or null without `values`. */
  value: Float64Array | null;
  /** Mean of `weights` over each label, or null without `weights`. */
  mean: Float64Array | null;
}

/** Result of a component filter: the filtered copy and what it removed. */
export interface FilterResult<T extends LabelArray> {
  labels: T;
  removedComponents: number;
  removedVoxels: number;
}

/** Result of fillHoles: the filled copy and the number of voxels it filled. */
export interface FillResult<T extends LabelArray> {
  labels: T;
  filled: number;
}

/** The raw functions exported by medals_native.node (positional arguments, all checked). */
export interface NativeAddon {
  nonzeroBoundingBox(data: VoxelArray, size: Size3): BoundingBox | null;
  countNonzero(data: VoxelArray, size: Size3): number;
  connectedComponents(
    data: LabelArray,
    size: Size3,
    connectivity: number,
    binary: boolean,
    out: Uint32Array | null,
  ): Components;
  connectedComponentsAsync(
    data: LabelArray,
    size: Size3,
    connectivity: number,
    binary: boolean,
    out: Uint32Array | null,
  ): Promise<Components>;
  componentStats(
    labels: Uint32Array,
    size: Size3,
    count: number,
    values: VoxelArray | null,
    weights: Float32Array | null,
  ): ComponentStats;
  componentStatsAsync(
    labels: Uint32Array,
    size: Size3,
    count: number,
    values: VoxelArray | null,
    weights: Float32Array | null,
  ): Promise<ComponentStats>;
  removeSmallComponents<T extends LabelArray>(
    labels: T,
    size: Size3,
    minSize: number,
    connectivity: number,
    binary: boolean,
  ): FilterResult<T>;
  removeSmallComponentsAsync<T extends LabelArray>(
    labels: T,
    size: Size3,
    minSize: number,
    connectivity: number,
    binary: boolean,
  ): Promise<FilterResult<T>>;
  keepLargestComponents<T extends LabelArray>(
    labels: T,
    size: Size3,
    connectivity: number,
    values: Int32Array | null,
  ): FilterResult<T>;
  keepLargestComponentsAsync<T extends LabelArray>(
    labels: T,
    size: Size3,
    connectivity: number,
    values: Int32Array | null,
  ): Promise<FilterResult<T>>;
  keepProbableComponents<T extends LabelArray>(
    labels: T,
    size: Size3,
    probability: Float32Array,
    connectivity: number,
    values: Int32Array | null,
    candidates: number,
    shortlist: number,
    tolerance: number,
    minProbability: number,
  ): FilterResult<T>;
  keepProbableComponentsAsync<T extends LabelArray>(
    labels: T,
    size: Size3,
    probability: Float32Array,
    connectivity: number,
    values: Int32Array | null,
    candidates: number,
    shortlist: number,
    tolerance: number,
    minProbability: number,
  ): Promise<FilterResult<T>>;
  fillHoles<T extends LabelArray>(labels: T, size: Size3, values: Int32Array | null): FillResult<T>;
  fillHolesAsync<T extends LabelArray>(
    labels: T,
    size: Size3,
    values: Int32Array | null,
  ): Promise<FillResult<T>>;
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

export interface ConnectedComponentsOptions {
  /** 6 (default, as Medal S and the challenge evaluator), 18 or 26. */
  connectivity?: Connectivity;
  /**
   * false (default): multi-label, as cc3d: voxels join only when their values are equal, so
   * each value is labelled separately in one pass. true: every non-zero voxel is foreground.
   */
  binary?: boolean;
  /** A Uint32Array of X*Y*Z elements to write the labels into (reuse it across calls). */
  out?: Uint32Array;
}

export interface ComponentStatsOptions {
  /** The labelled volume (any voxel type): reports each label's source value. */
  values?: VoxelArray;
  /** A float map (e.g. probability): reports its mean per label. */
  weights?: Float32Array;
}

export interface RemoveSmallOptions {
  /** Components with fewer voxels are removed (set to 0). */
  minSize: number;
  /** Default 6. */
  connectivity?: Connectivity;
  /**
   * false (default, Medal S): components of the non-zero union, so touching labels count
   * together; true: components of each label value.
   */
  perLabel?: boolean;
}

export interface LabelFilterOptions {
  /** Label values to process; default every non-zero value. Other values pass through. */
  values?: readonly number[] | Int32Array;
  /** Default 6 (Medal S). */
  connectivity?: Connectivity;
}

/** Medal S "improved classes" rule parameters; the defaults are Medal S's. */
export interface ProbableOptions extends LabelFilterOptions {
  /** How many of the largest components compete (3). */
  candidates?: number;
  /** The most probable one is kept alone only if it ranks below this by size (2). */
  shortlist?: number;
  /** Candidates within this of the best mean probability are "close" (0.1). */
  tolerance?: number;
  /** ... and must have a mean probability above this (0.86). */
  minProbability?: number;
}

/** Defaults of keepProbableComponents, from Medal S seg_postprocess. */
export const MEDAL_S_PROBABLE_RULE = {
  candidates: 3,
  shortlist: 2,
  tolerance: 0.1,
  minProbability: 0.86,
} as const;

function valueList(values: readonly number[] | Int32Array | undefined): Int32Array | null {
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

function ccArgs(data: LabelArray, size: Size3, o: ConnectedComponentsOptions) {
  return [data, size, o.connectivity ?? 6, o.binary ?? false, o.out ?? null] as const;
}

function statsArgs(labels: Uint32Array, size: Size3, count: number, o: ComponentStatsOptions) {
  return [labels, size, count, o.values ?? null, o.weights ?? null] as const;
}

function probableArgs<T extends LabelArray>(
  labels: T,
  size: Size3,
  probability: Float32Array,
  o: ProbableOptions,
) {
  const r = MEDAL_S_PROBABLE_RULE;
  return [
    labels,
    size,
    probability,
    o.connectivity ?? 6,
    valueList(o.values),
    o.candidates ?? r.candidates,
    o.shortlist ?? r.shortlist,
    o.tolerance ?? r.tolerance,
    o.minProbability ?? r.minProbability,
  ] as const;
}

/**
 * Connected components of the non-zero voxels (two-pass union-find in C++): labels 1..count
 * in raster scan order (x fastest). Throws TypeError/RangeError on a bad type, size, length,
 * connectivity or output buffer. For large volumes prefer connectedComponentsAsync.
 */
export function connectedComponents(
  data: LabelArray,
  size: Size3,
  options: ConnectedComponentsOptions = {},
): Components {
  return loadNative().connectedComponents(...ccArgs(data, size, options));
}

/**
 * connectedComponents on the libuv thread pool; the event loop keeps running. Do not write to
 * `data` or `out` until the promise settles. Bad arguments reject the promise.
 */
export async function connectedComponentsAsync(
  data: LabelArray,
  size: Size3,
  options: ConnectedComponentsOptions = {},
): Promise<Components> {
  return loadNative().connectedComponentsAsync(...ccArgs(data, size, options));
}

/** Statistics of labels 1..count (and the background 0) in one pass; see ComponentStats. */
export function componentStats(
  labels: Uint32Array,
  size: Size3,
  count: number,
  options: ComponentStatsOptions = {},
): ComponentStats {
  return loadNative().componentStats(...statsArgs(labels, size, count, options));
}

/** componentStats on the libuv thread pool. */
export async function componentStatsAsync(
  labels: Uint32Array,
  size: Size3,
  count: number,
  options: ComponentStatsOptions = {},
): Promise<ComponentStats> {
  return loadNative().componentStatsAsync(...statsArgs(labels, size, count, options));
}

/** A copy of `labels` without the components smaller than `minSize` voxels. */
export function removeSmallComponents<T extends LabelArray>(
  labels: T,
  size: Size3,
  options: RemoveSmallOptions,
): FilterResult<T> {
  const { minSize, connectivity = 6, perLabel = false } = options;
  return loadNative().removeSmallComponents(labels, size, minSize, connectivity, !perLabel);
}

/** removeSmallComponents on the libuv thread pool. */
export async function removeSmallComponentsAsync<T extends LabelArray>(
  labels: T,
  size: Size3,
  options: RemoveSmallOptions,
): Promise<FilterResult<T>> {
  const { minSize, connectivity = 6, perLabel = false } = options;
  return loadNative().removeSmallComponentsAsync(labels, size, minSize, connectivity, !perLabel);
}

/**
 * A copy of `labels` keeping, per label value, only its largest component (all of them when
 * several tie for the largest size, as Medal S / nnU-Net).
 */
export function keepLargestComponents<T extends LabelArray>(
  labels: T,
  size: Size3,
  options: LabelFilterOptions = {},
): FilterResult<T> {
  return loadNative().keepLargestComponents(
    labels,
    size,
    options.connectivity ?? 6,
    valueList(options.values),
  );
}

/** keepLargestComponents on the libuv thread pool. */
export async function keepLargestComponentsAsync<T extends LabelArray>(
  labels: T,
  size: Size3,
  options: LabelFilterOptions = {},
): Promise<FilterResult<T>> {
  return loadNative().keepLargestComponentsAsync(
    labels,
    size,
    options.connectivity ?? 6,
    valueList(options.values),
  );
}

/**
 * Medal S's post-processing of the "improved classes" (seg_postprocess): per label value, of
 * its `candidates` largest components keep all whose mean `probability` is within `tolerance`
 * of the best and above `minProbability` when at least 2 qualify, else the most probable if
 * it is among the `shortlist` largest, else the largest. Means are float32, as numpy's.
 */
export function keepProbableComponents<T extends LabelArray>(
  labels: T,
  size: Size3,
  probability: Float32Array,
  options: ProbableOptions = {},
): FilterResult<T> {
  return loadNative().keepProbableComponents(...probableArgs(labels, size, probability, options));
}

/** keepProbableComponents on the libuv thread pool. */
export async function keepProbableComponentsAsync<T extends LabelArray>(
  labels: T,
  size: Size3,
  probability: Float32Array,
  options: ProbableOptions = {},
): Promise<FilterResult<T>> {
  return loadNative().keepProbableComponentsAsync(...probableArgs(labels, size, probability, options));
}

/**
 * A copy of `labels` with the holes of each label value filled: 6-connected regions of
 * `labels !== value` that do not touch the border. Only background voxels are filled; a voxel
 * enclosed by several values takes the one with the smallest hole (ties: the lower value).
 */
export function fillHoles<T extends LabelArray>(
  labels: T,
  size: Size3,
  options: { values?: readonly number[] | Int32Array } = {},
): FillResult<T> {
  return loadNative().fillHoles(labels, size, valueList(options.values));
}

/** fillHoles on the libuv thread pool. */
export async function fillHolesAsync<T extends LabelArray>(
  labels: T,
  size: Size3,
  options: { values?: readonly number[] | Int32Array } = {},
): Promise<FillResult<T>> {
  return loadNative().fillHolesAsync(labels, size, valueList(options.values));
}

// ---------------------------------------------------------------------------------------------
// Distance transform and surface distances (src/edt.*, src/surface*), for the NSD metric
// ---------------------------------------------------------------------------------------------

/** Voxel spacing (mm) in volume axis order [sx, sy, sz] (x fastest, as Size3). */
export type Spacing3 = readonly [number, number, number];

/**
 * The 2x2x2 neighbour codes of a mask on the corner grid of a box: `codes[g]` at grid point
 * (x, y, z) (x fastest, `size` = box extent + 1 per axis) combines the voxels
 * `offset + (x, y, z) - {0, 1}` per axis. A border point has a code other than 0 and 255.
 */
export interface NeighbourCodeMap {
  codes: Uint8Array;
  size: [number, number, number];
  /** The box's min corner: grid point (x, y, z) lies between voxels offset + (x, y, z) - 1 and offset + (x, y, z). */
  offset: [number, number, number];
  /** Number of border points (codes not 0 and not 255). */
  borderCount: number;
}

/**
 * Per border point (raster order of the corner grid of the union bounding box): the distance (mm)
 * to the other mask's nearest border point (Infinity when it has none) and the surfel area (mm^2).
 */
export interface SurfaceDistances {
  /** Bounding box of the union of the two masks; null when both are empty (all lists empty). */
  box: BoundingBox | null;
  distancesGtToPred: Float64Array;
  areasGt: Float64Array;
  distancesPredToGt: Float64Array;
  areasPred: Float64Array;
}

/** Normalised surface Dice at a tolerance and the sums it is made of. */
export interface SurfaceDiceResult {
  /**
   * (gtAreaWithin + predAreaWithin) / (gtArea + predArea): NaN when neither mask has a surface
   * (both empty), 0 when only one has.
   */
  nsd: number;
  gtArea: number;
  predArea: number;
  gtAreaWithin: number;
  predAreaWithin: number;
  gtSurfels: number;
  predSurfels: number;
}

// Declaration merging: the surface functions of the raw addon, next to the ones declared above.
export interface NativeAddon {
  distanceTransform(mask: VoxelArray, size: Size3, spacing: Spacing3, out: Float32Array | null): Float32Array;
  distanceTransformAsync(
    mask: VoxelArray,
    size: Size3,
    spacing: Spacing3,
    out: Float32Array | null,
  ): Promise<Float32Array>;
  neighbourCodes(
    mask: VoxelArray,
    size: Size3,
    label: number | null,
    box: BoundingBox | null,
  ): NeighbourCodeMap;
  neighbourCodesAsync(
    mask: VoxelArray,
    size: Size3,
    label: number | null,
    box: BoundingBox | null,
  ): Promise<NeighbourCodeMap>;
  surfelAreas(spacing: Spacing3): Float64Array;
  surfaceDistances(
    gt: VoxelArray,
    pred: VoxelArray,
    size: Size3,
    spacing: Spacing3,
    label: number | null,
  ): SurfaceDistances;
  surfaceDistancesAsync(
    gt: VoxelArray,
    pred: VoxelArray,
    size: Size3,
    spacing: Spacing3,
    label: number | null,
  ): Promise<SurfaceDistances>;
  surfaceDice(
    gt: VoxelArray,
    pred: VoxelArray,
    size: Size3,
    spacing: Spacing3,
    tolerance: number,
    label: number | null,
  ): SurfaceDiceResult;
  surfaceDiceAsync(
    gt: VoxelArray,
    pred: VoxelArray,
    size: Size3,
    spacing: Spacing3,
    tolerance: number,
    label: number | null,
  ): Promise<SurfaceDiceResult>;
}

/** Which voxels of a mask are "on": `label` given: value === label; otherwise value !== 0. */
export interface MaskOptions {
  label?: number;
}

/**
 * Exact Euclidean distance (mm, float32) of every voxel to the nearest voxel with mask !== 0
 * (0 on those, Infinity everywhere when there is none), with anisotropic `spacing` [sx, sy, sz]
 * (separable Felzenszwalb-Huttenlocher in double precision). `out`: a Float32Array of X*Y*Z
 * elements to reuse. Uses 8 bytes per voxel of scratch memory.
 */
export function distanceTransform(
  mask: VoxelArray,
  size: Size3,
  spacing: Spacing3,
  options: { out?: Float32Array } = {},
): Float32Array {
  return loadNative().distanceTransform(mask, size, spacing, options.out ?? null);
}

/** distanceTransform on the libuv thread pool; do not touch `mask` or `out` until it settles. */
export async function distanceTransformAsync(
  mask: VoxelArray,
  size: Size3,
  spacing: Spacing3,
  options: { out?: Float32Array } = {},
): Promise<Float32Array> {
  return loadNative().distanceTransformAsync(mask, size, spacing, options.out ?? null);
}

/**
 * Neighbour codes of a mask (the evaluator's 2x2x2 correlation, see NeighbourCodeMap) on the
 * corner grid of `box` (default: the whole volume), voxels outside the box counting as off.
 */
export function neighbourCodes(
  mask: VoxelArray,
  size: Size3,
  options: MaskOptions & { box?: BoundingBox } = {},
): NeighbourCodeMap {
  return loadNative().neighbourCodes(mask, size, options.label ?? null, options.box ?? null);
}

/** neighbourCodes on the libuv thread pool. */
export async function neighbourCodesAsync(
  mask: VoxelArray,
  size: Size3,
  options: MaskOptions & { box?: BoundingBox } = {},
): Promise<NeighbourCodeMap> {
  return loadNative().neighbourCodesAsync(mask, size, options.label ?? null, options.box ?? null);
}

/** Surfel area (mm^2) of each of the 256 neighbour codes for `spacing` [sx, sy, sz]. */
export function surfelAreas(spacing: Spacing3): Float64Array {
  return loadNative().surfelAreas(spacing);
}

/**
 * Surface distances as DeepMind's surface-distance / the CVPR 2025 evaluator's
 * compute_surface_distances (unsorted: raster order of the corner grid), `spacing` [sx, sy, sz].
 */
export function surfaceDistances(
  gt: VoxelArray,
  pred: VoxelArray,
  size: Size3,
  spacing: Spacing3,
  options: MaskOptions = {},
): SurfaceDistances {
  return loadNative().surfaceDistances(gt, pred, size, spacing, options.label ?? null);
}

/** surfaceDistances on the libuv thread pool. */
export async function surfaceDistancesAsync(
  gt: VoxelArray,
  pred: VoxelArray,
  size: Size3,
  spacing: Spacing3,
  options: MaskOptions = {},
): Promise<SurfaceDistances> {
  return loadNative().surfaceDistancesAsync(gt, pred, size, spacing, options.label ?? null);
}

/**
 * Normalised surface Dice of two masks at `toleranceMm` (the challenge uses 2.0), exactly as the
 * CVPR 2025 evaluator's compute_surface_dice_at_tolerance: surfels of the union-box corner grid,
 * distances by an exact EDT with `spacing` [sx, sy, sz], a surfel counts when distance <= tolerance.
 */
export function surfaceDice(
  gt: VoxelArray,
  pred: VoxelArray,
  size: Size3,
  spacing: Spacing3,
  toleranceMm: number,
  options: MaskOptions = {},
): SurfaceDiceResult {
  return loadNative().surfaceDice(gt, pred, size, spacing, toleranceMm, options.label ?? null);
}

/** surfaceDice on the libuv thread pool. */
export async function surfaceDiceAsync(
  gt: VoxelArray,
  pred: VoxelArray,
  size: Size3,
  spacing: Spacing3,
  toleranceMm: number,
  options: MaskOptions = {},
): Promise<SurfaceDiceResult> {
  return loadNative().surfaceDiceAsync(gt, pred, size, spacing, toleranceMm, options.label ?? null);
}

// ---------------------------------------------------------------------------------------------
// Sliding-window stitching (src/gaussian.*, src/stitch*), for the segment step
// ---------------------------------------------------------------------------------------------

/**
 * Extent or position in the model's axis order (H, W, D). A grid (H, W, D) is C order, d
 * fastest: voxel (h, w, d) at (h * W + w) * D + d. For an x-fastest volume of size [X, Y, Z]
 * that is (H, W, D) = (Y, X, Z) (functions/steps/segment/layout.ts converts).
 */
export type Hwd = readonly [number, number, number];

/** Patch logits: float32, or float16 bits in a Uint16Array (the model's fp16 output). */
export type LogitArray = Float32Array | Uint16Array;

// Declaration merging: the stitching functions of the raw addon.
export interface NativeAddon {
  stitchInfo(): StitchInfo;
  gaussianImportance(patch: Hwd): Float32Array;
  stitchAdd(
    sums: readonly Float32Array[],
    weights: Float32Array,
    grid: Hwd,
    logits: LogitArray,
    patch: Hwd,
    offset: Hwd,
    importance: Float32Array,
    threads: number,
  ): void;
  stitchAddAsync(
    sums: readonly Float32Array[],
    weights: Float32Array,
    grid: Hwd,
    logits: LogitArray,
    patch: Hwd,
    offset: Hwd,
    importance: Float32Array,
    threads: number,
  ): Promise<void>;
  stitchFinalize(
    sums: readonly Float32Array[],
    weights: Float32Array,
    grid: Hwd,
    values: Int32Array,
    threshold: number,
    writeProbabilities: boolean,
    labels: LabelArray,
    maxProbability: Float32Array | null,
    threads: number,
  ): void;
  stitchFinalizeAsync(
    sums: readonly Float32Array[],
    weights: Float32Array,
    grid: Hwd,
    values: Int32Array,
    threshold: number,
    writeProbabilities: boolean,
    labels: LabelArray,
    maxProbability: Float32Array | null,
    threads: number,
  ): Promise<void>;
}

/** How the stitching loops run on this machine. */
export interface StitchInfo {
  /**
   * The vector loops chosen for this CPU: "avx512f" (16 lanes), "avx2" (8), or "base" (SSE2 or
   * NEON, 4 lanes). MEDALS_STITCH_ISA=base or avx2 caps it; every choice gives the same numbers.
   */
  instructionSet: string;
  /** Threads a call uses when asked for 0: the hardware's, at most 8. */
  defaultThreads: number;
}

/** The instruction set and default thread count of the stitching loops. */
export function stitchInfo(): StitchInfo {
  return loadNative().stitchInfo();
}

/**
 * Medal S's Gaussian importance map over a patch [ph, pw, pd] (C order, d fastest): a unit
 * impulse at p // 2 per axis filtered as scipy's gaussian_filter with sigma p / 8 (truncated at
 * 4 sigma, constant border), divided by its maximum, times 10, rounded to float16, zeros replaced
 * by the smallest non-zero value. Float32 values of those float16 numbers.
 */
export function gaussianImportance(patch: Hwd): Float32Array {
  return loadNative().gaussianImportance(patch);
}

export interface StitchAccumulatorOptions {
  /** The importance map (ph * pw * pd); default gaussianImportance(patch). */
  importance?: Float32Array;
  /** Threads per call (a window's h planes, the voxels of finalize); 0 (default): the cores, at most 8. */
  threads?: number;
}

export interface StitchFinalizeOptions {
  /** Label value of each class (default 1..N). */
  values?: readonly number[] | Int32Array;
  /** A voxel gets its best class's value when that probability is >= threshold (default 0.5). */
  threshold?: number;
  /**
   * true: also return the per-class probabilities, written in place over the class sums (no
   * extra memory; the accumulator takes no more windows afterwards). Default false.
   */
  probabilities?: boolean;
  /** Return the highest class probability per voxel (default true). */
  maxProbability?: boolean;
  /**
   * Output label map (grid voxels). Default: a new Uint8Array when every value fits, else
   * Uint16Array, Int16Array or Int32Array, the first that holds them all.
   */
  labels?: LabelArray;
}

export interface StitchResult {
  /** (H, W, D): values[c] of the most probable class c when its probability >= threshold, else 0. */
  labels: LabelArray;
  /** (H, W, D): the highest class probability (0 where no window reached), or null. */
  maxProbability: Float32Array | null;
  /** Per class (H, W, D) probabilities (the accumulator's own buffers), or null. */
  probabilities: Float32Array[] | null;
}

function labelArrayFor(values: Int32Array, voxels: number): LabelArray {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo >= 0 && hi <= 255) return new Uint8Array(voxels);
  if (lo >= 0 && hi <= 65535) return new Uint16Array(voxels);
  if (lo >= -32768 && hi <= 32767) return new Int16Array(voxels);
  return new Int32Array(voxels);
}

function checkTriple(value: Hwd, name: string, min: number): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => Number.isInteger(v) && v >= min)) {
    throw new RangeError(`StitchAccumulator: ${name} must be [h, w, d] of integers >= ${min}`);
  }
  return [value[0], value[1], value[2]];
}

/**
 * Stitches sliding-window predictions of N classes into a grid (H, W, D) (see Hwd), in C++.
 *
 * Holds one float32 volume per class (`sums[c]`: the sum of sigmoid(logit) x g over the windows)
 * and ONE weight volume shared by all classes (`weights`: the sum of g), g being the importance
 * map. `add` takes the model output of one window, (1, N, ph, pw, pd) in C order, as float32 or
 * float16 bits; `finalize` divides and takes the argmax. All accumulation is float32.
 *
 * One call at a time: the async calls queue behind each other, and a sync call while an async one
 * is pending throws. Do not modify a logits buffer until its addAsync has resolved.
 */
export class StitchAccumulator {
  readonly grid: [number, number, number];
  readonly classes: number;
  readonly patch: [number, number, number];
  readonly importance: Float32Array;
  readonly sums: Float32Array[];
  readonly weights: Float32Array;
  readonly threads: number;
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private spent = false;

  constructor(grid: Hwd, classes: number, patch: Hwd, options: StitchAccumulatorOptions = {}) {
    this.grid = checkTriple(grid, 'grid', 1);
    this.patch = checkTriple(patch, 'patch', 1);
    if (!Number.isInteger(classes) || classes < 1) {
      throw new RangeError(`StitchAccumulator: classes must be a positive integer, got ${String(classes)}`);
    }
    this.classes = classes;
    this.threads = options.threads ?? 0;
    this.importance = options.importance ?? gaussianImportance(this.patch);
    const voxels = this.grid[0] * this.grid[1] * this.grid[2];
    this.sums = Array.from({ length: classes }, () => new Float32Array(voxels));
    this.weights = new Float32Array(voxels);
  }

  private addArgs(logits: LogitArray, offset: Hwd) {
    return [
      this.sums,
      this.weights,
      this.grid,
      logits,
      this.patch,
      offset,
      this.importance,
      this.threads,
    ] as const;
  }

  private checkUsable(fn: string, allowPending = false): void {
    if (this.spent) {
      throw new Error(
        `StitchAccumulator.${fn}: finalized with probabilities; its sums are probabilities now`,
      );
    }
    if (!allowPending && this.pending > 0) {
      throw new Error(`StitchAccumulator.${fn}: an async call is still running; await it first`);
    }
  }

  /** Queues `run` after every earlier async call (whatever their outcome). */
  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    this.pending++;
    const result = this.tail.then(run).finally(() => {
      this.pending--;
    });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Adds one window's logits (N, ph, pw, pd) with its first voxel at `offset` [h, w, d]. */
  add(logits: LogitArray, offset: Hwd): void {
    this.checkUsable('add');
    loadNative().stitchAdd(...this.addArgs(logits, offset));
  }

  /** add on the libuv thread pool, after any earlier async call. */
  addAsync(logits: LogitArray, offset: Hwd): Promise<void> {
    try {
      this.checkUsable('addAsync', true);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.enqueue(() => {
      this.checkUsable('addAsync', true);
      return loadNative().stitchAddAsync(...this.addArgs(logits, offset));
    });
  }

  private finalizeArgs(options: StitchFinalizeOptions) {
    const values = options.values === undefined ? null : valueList(options.values);
    const classValues = values ?? Int32Array.from({ length: this.classes }, (_, c) => c + 1);
    const voxels = this.weights.length;
    const labels = options.labels ?? labelArrayFor(classValues, voxels);
    const maxProbability = options.maxProbability === false ? null : new Float32Array(voxels);
    const probabilities = options.probabilities === true;
    const args = [
      this.sums,
      this.weights,
      this.grid,
      classValues,
      options.threshold ?? 0.5,
      probabilities,
      labels,
      maxProbability,
      this.threads,
    ] as const;
    const result: StitchResult = { labels, maxProbability, probabilities: probabilities ? this.sums : null };
    return { args, result, probabilities };
  }

  /**
   * Probabilities, argmax label map and max-probability map (all (H, W, D)). Without
   * `probabilities` the sums are left as they are, so more windows may follow.
   */
  finalize(options: StitchFinalizeOptions = {}): StitchResult {
    this.checkUsable('finalize');
    const { args, result, probabilities } = this.finalizeArgs(options);
    loadNative().stitchFinalize(...args);
    if (probabilities) this.spent = true;
    return result;
  }

  /** finalize on the libuv thread pool, after any earlier async call. */
  finalizeAsync(options: StitchFinalizeOptions = {}): Promise<StitchResult> {
    try {
      this.checkUsable('finalizeAsync', true);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.enqueue(async () => {
      this.checkUsable('finalizeAsync', true);
      const { args, result, probabilities } = this.finalizeArgs(options);
      await loadNative().stitchFinalizeAsync(...args);
      if (probabilities) this.spent = true;
      return result;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Label-map resampling (src/resample_labels.*, src/resample_binding.*), for restoring labels
// ---------------------------------------------------------------------------------------------

/**
 * The map from target voxel index t = (i, j, k) to the continuous input index c = A t + b:
 * A row-major 3x3, b 3 entries, all finite (Arrays of numbers or Float64Arrays).
 */
export interface LabelAffine {
  A: ArrayLike<number>;
  b: ArrayLike<number>;
}

// Declaration merging: the resampling functions of the raw addon.
export interface NativeAddon {
  resampleLabels<T extends LabelArray>(
    data: T,
    size: Size3,
    A: ArrayLike<number>,
    b: ArrayLike<number>,
    targetSize: Size3,
    out: T | null,
    threads: number,
  ): T;
  resampleLabelsAsync<T extends LabelArray>(
    data: T,
    size: Size3,
    A: ArrayLike<number>,
    b: ArrayLike<number>,
    targetSize: Size3,
    out: T | null,
    threads: number,
  ): Promise<T>;
}

function resampleArgs<T extends LabelArray>(
  fn: string,
  data: T,
  size: Size3,
  affine: LabelAffine,
  targetSize: Size3,
  out: T | undefined,
) {
  if (typeof affine !== 'object' || affine === null) {
    throw new TypeError(
      `${fn}: affine must be an object { A, b }, got ${affine === null ? 'null' : typeof affine}`,
    );
  }
  // threads 0: the cores, at most 8 (z planes are split; the result does not depend on it).
  return [data, size, affine.A, affine.b, targetSize, out ?? null, 0] as const;
}

/**
 * Label map `data` ([X, Y, Z], x fastest) resampled onto a grid of `targetSize` voxels, in C++:
 * target index t maps to the continuous input index c = A t + b (float64, no FMA); a voxel
 * outside [-0.5, size - 0.5] on any axis is 0; otherwise the label with the largest summed
 * trilinear weight among the 8 neighbours wins, ties within 1e-12 to the lower value (one-hot
 * linear interpolation + argmax). Bit-identical to test/oracles/resample.ts. Returns `out` (same
 * type as `data`, targetSize voxels, every one written) or a new array. Throws TypeError/RangeError
 * on bad arguments (types, lengths, sizes, non-finite A or b, more than 2^31 target voxels).
 */
export function resampleLabels<T extends LabelArray>(
  data: T,
  size: Size3,
  affine: LabelAffine,
  targetSize: Size3,
  out?: T,
): T {
  return loadNative().resampleLabels(...resampleArgs('resampleLabels', data, size, affine, targetSize, out));
}

/** resampleLabels on the libuv thread pool. Do not write to `data` or `out` until it settles. */
export async function resampleLabelsAsync<T extends LabelArray>(
  data: T,
  size: Size3,
  affine: LabelAffine,
  targetSize: Size3,
  out?: T,
): Promise<T> {
  return loadNative().resampleLabelsAsync(
    ...resampleArgs('resampleLabelsAsync', data, size, affine, targetSize, out),
  );
}

/**
 * One axis of a two-tap resampling table (resampleLabelsTaps): for target index t, the input
 * indices index[2t], index[2t + 1] and their float32 weights weight[2t], weight[2t + 1] in [0, 1].
 */
export interface AxisTaps {
  index: Int32Array;
  weight: Float32Array;
}

// Declaration merging: the table-driven resampling of the raw addon.
export interface NativeAddon {
  resampleLabelsTaps<T extends LabelArray>(
    data: T,
    size: Size3,
    targetSize: Size3,
    index: Int32Array,
    weight: Float32Array,
    out: T | null,
    threads: number,
  ): T;
  resampleLabelsTapsAsync<T extends LabelArray>(
    data: T,
    size: Size3,
    targetSize: Size3,
    index: Int32Array,
    weight: Float32Array,
    out: T | null,
    threads: number,
  ): Promise<T>;
}

function tapsArgs<T extends LabelArray>(
  fn: string,
  data: T,
  size: Size3,
  taps: readonly [AxisTaps, AxisTaps, AxisTaps],
  out: T | undefined,
) {
  if (!Array.isArray(taps) || taps.length !== 3) {
    throw new TypeError(`${fn}: taps must be an Array of 3 tables { index, weight } (x, y, z)`);
  }
  const targetSize = taps.map((t, a) => {
    if (
      typeof t !== 'object' ||
      t === null ||
      !(t.index instanceof Int32Array) ||
      !(t.weight instanceof Float32Array)
    ) {
      throw new TypeError(`${fn}: taps[${a}] must be { index: Int32Array, weight: Float32Array }`);
    }
    if (t.index.length === 0 || t.index.length % 2 !== 0 || t.weight.length !== t.index.length) {
      throw new RangeError(
        `${fn}: taps[${a}] must hold 2 indices and 2 weights per target voxel, got ${t.index.length} and ${t.weight.length}`,
      );
    }
    return t.index.length / 2;
  }) as unknown as Size3;
  const index = new Int32Array(2 * (targetSize[0] + targetSize[1] + targetSize[2]));
  const weight = new Float32Array(index.length);
  let at = 0;
  for (const t of taps) {
    index.set(t.index, at);
    weight.set(t.weight, at);
    at += t.index.length;
  }
  return [data, size, targetSize, index, weight, out ?? null, 0] as const;
}

/**
 * Label map `data` ([X, Y, Z], x fastest) resampled by separable two-tap tables, one per axis
 * (targetSize = the tables' lengths / 2), the way torch's F.interpolate resamples one-hot
 * channels (Medal S's respace_mask; functions/lib/resample/resample.ts `respaceLabels` builds the
 * tables). In C++ (src/resample_labels.h ResampleLabelsTaps): for each target voxel, every
 * label value among the 8 corners scores its one-hot x 1000 interpolated in float32 (along z,
 * then x, then y, each step fma(v0, w0, v1 * w1)), rounded to float16; the largest score wins,
 * ties to the lower value. Bit-identical to test/oracles/resample.ts `resampleLabelsTaps`.
 * Throws TypeError/RangeError on bad arguments (an index outside the input, a weight outside
 * [0, 1], lengths, types, more than 2^31 target voxels).
 */
export function resampleLabelsTaps<T extends LabelArray>(
  data: T,
  size: Size3,
  taps: readonly [AxisTaps, AxisTaps, AxisTaps],
  out?: T,
): T {
  return loadNative().resampleLabelsTaps(...tapsArgs('resampleLabelsTaps', data, size, taps, out));
}

/** resampleLabelsTaps on the libuv thread pool. Do not write to `data` or `out` until it settles. */
export async function resampleLabelsTapsAsync<T extends LabelArray>(
  data: T,
  size: Size3,
  taps: readonly [AxisTaps, AxisTaps, AxisTaps],
  out?: T,
): Promise<T> {
  return loadNative().resampleLabelsTapsAsync(...tapsArgs('resampleLabelsTapsAsync', data, size, taps, out));
}
