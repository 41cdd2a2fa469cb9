/**
 * Distance transform and surface distances for the NSD metric (src/edt.*, src/surface*,
 * bindings in src/surface_binding.cc).
 */
import { loadNative } from './addon.js';
import type { BoundingBox, Size3, VoxelArray } from './addon.js';

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

/** Which voxels of a mask are "on": `label` given: value === label; otherwise value !== 0. */
export interface MaskOptions {
  label?: number;
}

type DistanceTransformArgs = [mask: VoxelArray, size: Size3, spacing: Spacing3, out: Float32Array | null];
type NeighbourCodesArgs = [mask: VoxelArray, size: Size3, label: number | null, box: BoundingBox | null];
type SurfaceDistancesArgs = [
  gt: VoxelArray,
  pred: VoxelArray,
  size: Size3,
  spacing: Spacing3,
  label: number | null,
];
type SurfaceDiceArgs = [
  gt: VoxelArray,
  pred: VoxelArray,
  size: Size3,
  spacing: Spacing3,
  tolerance: number,
  label: number | null,
  box: BoundingBox | null,
];

/** The raw surface functions of the addon. */
export interface SurfaceAddon {
  distanceTransform(...args: DistanceTransformArgs): Float32Array;
  distanceTransformAsync(...args: DistanceTransformArgs): Promise<Float32Array>;
  neighbourCodes(...args: NeighbourCodesArgs): NeighbourCodeMap;
  neighbourCodesAsync(...args: NeighbourCodesArgs): Promise<NeighbourCodeMap>;
  surfelAreas(spacing: Spacing3): Float64Array;
  surfaceDistances(...args: SurfaceDistancesArgs): SurfaceDistances;
  surfaceDistancesAsync(...args: SurfaceDistancesArgs): Promise<SurfaceDistances>;
  surfaceDice(...args: SurfaceDiceArgs): SurfaceDiceResult;
  surfaceDiceAsync(...args: SurfaceDiceArgs): Promise<SurfaceDiceResult>;
}

function distanceTransformArgs(
  ...[mask, size, spacing, options = {}]: Parameters<typeof distanceTransform>
): DistanceTransformArgs {
  return [mask, size, spacing, options.out ?? null];
}

function neighbourCodesArgs(
  ...[mask, size, options = {}]: Parameters<typeof neighbourCodes>
): NeighbourCodesArgs {
  return [mask, size, options.label ?? null, options.box ?? null];
}

function surfaceDistancesArgs(
  ...[gt, pred, size, spacing, options = {}]: Parameters<typeof surfaceDistances>
): SurfaceDistancesArgs {
  return [gt, pred, size, spacing, options.label ?? null];
}

function surfaceDiceArgs(
  ...[gt, pred, size, spacing, toleranceMm, options = {}]: Parameters<typeof surfaceDice>
): SurfaceDiceArgs {
  return [gt, pred, size, spacing, toleranceMm, options.label ?? null, options.box ?? null];
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
  return loadNative<SurfaceAddon>().distanceTransform(...distanceTransformArgs(mask, size, spacing, options));
}

/** distanceTransform on the libuv thread pool; do not touch `mask` or `out` until it settles. */
export async function distanceTransformAsync(
  ...call: Parameters<typeof distanceTransform>
): Promise<Float32Array> {
  return loadNative<SurfaceAddon>().distanceTransformAsync(...distanceTransformArgs(...call));
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
  return loadNative<SurfaceAddon>().neighbourCodes(...neighbourCodesArgs(mask, size, options));
}

/** neighbourCodes on the libuv thread pool. */
export async function neighbourCodesAsync(
  ...call: Parameters<typeof neighbourCodes>
): Promise<NeighbourCodeMap> {
  return loadNative<SurfaceAddon>().neighbourCodesAsync(...neighbourCodesArgs(...call));
}

/** Surfel area (mm^2) of each of the 256 neighbour codes for `spacing` [sx, sy, sz]. */
export function surfelAreas(spacing: Spacing3): Float64Array {
  return loadNative<SurfaceAddon>().surfelAreas(spacing);
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
  return loadNative<SurfaceAddon>().surfaceDistances(
    ...surfaceDistancesArgs(gt, pred, size, spacing, options),
  );
}

/** surfaceDistances on the libuv thread pool. */
export async function surfaceDistancesAsync(
  ...call: Parameters<typeof surfaceDistances>
): Promise<SurfaceDistances> {
  return loadNative<SurfaceAddon>().surfaceDistancesAsync(...surfaceDistancesArgs(...call));
}

/**
 * Normalised surface Dice of two masks at `toleranceMm` (the challenge uses 2.0), exactly as the
 * CVPR 2025 evaluator's compute_surface_dice_at_tolerance: surfels of the union-box corner grid,
 * a surfel counts when its exact Euclidean distance (`spacing` [sx, sy, sz]) to the other surface
 * is <= tolerance (told by a search among the grid offsets within the tolerance, or by an exact
 * EDT for large tolerances; both exact). `box`: the union bounding box of the two masks when the
 * caller knows it (it saves two scans of the volumes); voxels outside it count as off.
 */
export function surfaceDice(
  gt: VoxelArray,
  pred: VoxelArray,
  size: Size3,
  spacing: Spacing3,
  toleranceMm: number,
  options: MaskOptions & { box?: BoundingBox } = {},
): SurfaceDiceResult {
  return loadNative<SurfaceAddon>().surfaceDice(
    ...surfaceDiceArgs(gt, pred, size, spacing, toleranceMm, options),
  );
}

/** surfaceDice on the libuv thread pool. */
export async function surfaceDiceAsync(...call: Parameters<typeof surfaceDice>): Promise<SurfaceDiceResult> {
  return loadNative<SurfaceAddon>().surfaceDiceAsync(...surfaceDiceArgs(...call));
}
