/**
 * Connected components and per-component statistics (src/connected_components.*,
 * src/component_stats.*, bindings in src/components_binding.cc).
 */
import { loadNative } from './addon.js';
import type { Connectivity, LabelArray, Size3, VoxelArray } from './addon.js';

/** A component label map: the smallest of these that holds the count, or the caller's `out`. */
export type ComponentLabels = Uint8Array | Uint16Array | Uint32Array;

/**
 * Connected components: labels 1..count in raster scan order, 0 for background. Without `out`,
 * `labels` is a fresh Uint8Array when count <= 255, a Uint16Array when count <= 65535, else a
 * Uint32Array; with `out`, it is `out`.
 */
export interface Components<L extends ComponentLabels = ComponentLabels> {
  labels: L;
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

export interface ConnectedComponentsOptions {
  /** 6 (default, as Medal S and the challenge evaluator), 18 or 26. */
  connectivity?: Connectivity;
  /**
   * false (default): multi-label, as cc3d: voxels join only when their values are equal, so
   * each value is labelled separately in one pass. true: every non-zero voxel is foreground.
   */
  binary?: boolean;
  /**
   * A Uint32Array of X*Y*Z elements to write the labels into (reuse it across calls). Without
   * it, the labels come in a fresh array of the smallest type that holds the count.
   */
  out?: Uint32Array;
}

/** Options with an output buffer: the labels are that Uint32Array. */
export type ConnectedComponentsIntoOptions = ConnectedComponentsOptions & { out: Uint32Array };

export interface ComponentStatsOptions {
  /** The labelled volume (any voxel type): reports each label's source value. */
  values?: VoxelArray;
  /** A float map (e.g. probability): reports its mean per label. */
  weights?: Float32Array;
}

type ConnectedComponentsArgs = [
  data: LabelArray,
  size: Size3,
  connectivity: number,
  binary: boolean,
  out: Uint32Array | null,
];

type ComponentStatsArgs = [
  labels: ComponentLabels,
  size: Size3,
  count: number,
  values: VoxelArray | null,
  weights: Float32Array | null,
];

/** The raw component functions of the addon. */
export interface ComponentsAddon {
  connectedComponents(...args: ConnectedComponentsArgs): Components;
  connectedComponentsAsync(...args: ConnectedComponentsArgs): Promise<Components>;
  componentStats(...args: ComponentStatsArgs): ComponentStats;
  componentStatsAsync(...args: ComponentStatsArgs): Promise<ComponentStats>;
}

function ccArgs(data: LabelArray, size: Size3, o: ConnectedComponentsOptions = {}): ConnectedComponentsArgs {
  return [data, size, o.connectivity ?? 6, o.binary ?? false, o.out ?? null];
}

function statsArgs(...[labels, size, count, o = {}]: Parameters<typeof componentStats>): ComponentStatsArgs {
  return [labels, size, count, o.values ?? null, o.weights ?? null];
}

/**
 * Connected components of the non-zero voxels (two-pass union-find in C++): labels 1..count
 * in raster scan order (x fastest), in `out` if given, else in a fresh array of the smallest
 * type that holds the count (see Components). Throws TypeError/RangeError on a bad type, size,
 * length, connectivity or output buffer. For large volumes prefer connectedComponentsAsync.
 */
export function connectedComponents(
  data: LabelArray,
  size: Size3,
  options: ConnectedComponentsIntoOptions,
): Components<Uint32Array>;
export function connectedComponents(
  data: LabelArray,
  size: Size3,
  options?: ConnectedComponentsOptions,
): Components;
export function connectedComponents(
  data: LabelArray,
  size: Size3,
  options: ConnectedComponentsOptions = {},
): Components {
  return loadNative<ComponentsAddon>().connectedComponents(...ccArgs(data, size, options));
}

/**
 * connectedComponents on the libuv thread pool; the event loop keeps running. Do not write to
 * `data` or `out` until the promise settles. Bad arguments reject the promise.
 */
export async function connectedComponentsAsync(
  data: LabelArray,
  size: Size3,
  options: ConnectedComponentsIntoOptions,
): Promise<Components<Uint32Array>>;
export async function connectedComponentsAsync(
  data: LabelArray,
  size: Size3,
  options?: ConnectedComponentsOptions,
): Promise<Components>;
export async function connectedComponentsAsync(
  data: LabelArray,
  size: Size3,
  options: ConnectedComponentsOptions = {},
): Promise<Components> {
  return loadNative<ComponentsAddon>().connectedComponentsAsync(...ccArgs(data, size, options));
}

/**
 * Statistics of labels 1..count (and the background 0) in one pass; see ComponentStats. labels:
 * any label map connectedComponents returns (Uint8Array, Uint16Array or Uint32Array).
 */
export function componentStats(
  labels: ComponentLabels,
  size: Size3,
  count: number,
  options: ComponentStatsOptions = {},
): ComponentStats {
  return loadNative<ComponentsAddon>().componentStats(...statsArgs(labels, size, count, options));
}

/** componentStats on the libuv thread pool. */
export async function componentStatsAsync(
  ...call: Parameters<typeof componentStats>
): Promise<ComponentStats> {
  return loadNative<ComponentsAddon>().componentStatsAsync(...statsArgs(...call));
}
