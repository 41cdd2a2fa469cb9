/**
 * Medal S's post-processing of label maps: small, largest and probable components, holes
 * (src/postprocess.*, src/fill_holes.cc, bindings in src/postprocess_binding.cc).
 */
import { loadNative, valueList } from './addon.js';
import type { Connectivity, LabelArray, Size3 } from './addon.js';

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

/** The rule keepProbableComponents applies: `options` over MEDAL_S_PROBABLE_RULE. */
export function probableRule(options: ProbableOptions): {
  candidates: number;
  shortlist: number;
  tolerance: number;
  minProbability: number;
} {
  const r = MEDAL_S_PROBABLE_RULE;
  return {
    candidates: options.candidates ?? r.candidates,
    shortlist: options.shortlist ?? r.shortlist,
    tolerance: options.tolerance ?? r.tolerance,
    minProbability: options.minProbability ?? r.minProbability,
  };
}

type RemoveSmallArgs<T> = [labels: T, size: Size3, minSize: number, connectivity: number, binary: boolean];
type KeepLargestArgs<T> = [labels: T, size: Size3, connectivity: number, values: Int32Array | null];
type KeepProbableArgs<T> = [
  labels: T,
  size: Size3,
  probability: Float32Array,
  connectivity: number,
  values: Int32Array | null,
  candidates: number,
  shortlist: number,
  tolerance: number,
  minProbability: number,
];
type FillHolesArgs<T> = [labels: T, size: Size3, values: Int32Array | null];

/** The raw post-processing functions of the addon. */
export interface PostprocessAddon {
  removeSmallComponents<T extends LabelArray>(...args: RemoveSmallArgs<T>): FilterResult<T>;
  removeSmallComponentsAsync<T extends LabelArray>(...args: RemoveSmallArgs<T>): Promise<FilterResult<T>>;
  keepLargestComponents<T extends LabelArray>(...args: KeepLargestArgs<T>): FilterResult<T>;
  keepLargestComponentsAsync<T extends LabelArray>(...args: KeepLargestArgs<T>): Promise<FilterResult<T>>;
  keepProbableComponents<T extends LabelArray>(...args: KeepProbableArgs<T>): FilterResult<T>;
  keepProbableComponentsAsync<T extends LabelArray>(...args: KeepProbableArgs<T>): Promise<FilterResult<T>>;
  fillHoles<T extends LabelArray>(...args: FillHolesArgs<T>): FillResult<T>;
  fillHolesAsync<T extends LabelArray>(...args: FillHolesArgs<T>): Promise<FillResult<T>>;
}

// The arguments of each wrapper, shared with its Async twin.
type RemoveSmallCall<T> = [labels: T, size: Size3, options: RemoveSmallOptions];
type LabelFilterCall<T> = [labels: T, size: Size3, options?: LabelFilterOptions];
type ProbableCall<T> = [labels: T, size: Size3, probability: Float32Array, options?: ProbableOptions];
type FillHolesCall<T> = [labels: T, size: Size3, options?: { values?: readonly number[] | Int32Array }];

function removeSmallArgs<T>(...[labels, size, options]: RemoveSmallCall<T>): RemoveSmallArgs<T> {
  const { minSize, connectivity = 6, perLabel = false } = options;
  return [labels, size, minSize, connectivity, !perLabel];
}

function keepLargestArgs<T>(...[labels, size, options = {}]: LabelFilterCall<T>): KeepLargestArgs<T> {
  return [labels, size, options.connectivity ?? 6, valueList(options.values)];
}

function probableArgs<T>(...[labels, size, probability, options = {}]: ProbableCall<T>): KeepProbableArgs<T> {
  const r = probableRule(options);
  return [
    labels,
    size,
    probability,
    options.connectivity ?? 6,
    valueList(options.values),
    r.candidates,
    r.shortlist,
    r.tolerance,
    r.minProbability,
  ];
}

function fillHolesArgs<T>(...[labels, size, options = {}]: FillHolesCall<T>): FillHolesArgs<T> {
  return [labels, size, valueList(options.values)];
}

/** A copy of `labels` without the components smaller than `minSize` voxels. */
export function removeSmallComponents<T extends LabelArray>(...call: RemoveSmallCall<T>): FilterResult<T> {
  return loadNative<PostprocessAddon>().removeSmallComponents(...removeSmallArgs(...call));
}

/** removeSmallComponents on the libuv thread pool. */
export async function removeSmallComponentsAsync<T extends LabelArray>(
  ...call: RemoveSmallCall<T>
): Promise<FilterResult<T>> {
  return loadNative<PostprocessAddon>().removeSmallComponentsAsync(...removeSmallArgs(...call));
}

/**
 * A copy of `labels` keeping, per label value, only its largest component (all of them when
 * several tie for the largest size, as Medal S / nnU-Net).
 */
export function keepLargestComponents<T extends LabelArray>(...call: LabelFilterCall<T>): FilterResult<T> {
  return loadNative<PostprocessAddon>().keepLargestComponents(...keepLargestArgs(...call));
}

/** keepLargestComponents on the libuv thread pool. */
export async function keepLargestComponentsAsync<T extends LabelArray>(
  ...call: LabelFilterCall<T>
): Promise<FilterResult<T>> {
  return loadNative<PostprocessAddon>().keepLargestComponentsAsync(...keepLargestArgs(...call));
}

/**
 * Medal S's post-processing of the "improved classes" (seg_postprocess): per label value, of
 * its `candidates` largest components keep all whose mean `probability` is within `tolerance`
 * of the best and above `minProbability` when at least 2 qualify, else the most probable if
 * it is among the `shortlist` largest, else the largest. Means are float32, as numpy's.
 */
export function keepProbableComponents<T extends LabelArray>(...call: ProbableCall<T>): FilterResult<T> {
  return loadNative<PostprocessAddon>().keepProbableComponents(...probableArgs(...call));
}

/** keepProbableComponents on the libuv thread pool. */
export async function keepProbableComponentsAsync<T extends LabelArray>(
  ...call: ProbableCall<T>
): Promise<FilterResult<T>> {
  return loadNative<PostprocessAddon>().keepProbableComponentsAsync(...probableArgs(...call));
}

/**
 * A copy of `labels` with the holes of each label value filled: 6-connected regions of
 * `labels !== value` that do not touch the border. Only background voxels are filled; a voxel
 * enclosed by several values takes the one with the smallest hole (ties: the lower value).
 */
export function fillHoles<T extends LabelArray>(...call: FillHolesCall<T>): FillResult<T> {
  return loadNative<PostprocessAddon>().fillHoles(...fillHolesArgs(...call));
}

/** fillHoles on the libuv thread pool. */
export async function fillHolesAsync<T extends LabelArray>(
  ...call: FillHolesCall<T>
): Promise<FillResult<T>> {
  return loadNative<PostprocessAddon>().fillHolesAsync(...fillHolesArgs(...call));
}
