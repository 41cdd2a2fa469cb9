/**
 * The public API of the C++ addon `medals_native.node` (see native/README.md): one module per
 * kernel family, each matching its src/*_binding.cc, re-exported here so that importers need
 * only this path.
 */
import { loadAddon as loadAddonAs, loadNative as loadNativeAs } from './addon.js';
import type { BboxAddon } from './bbox.js';
import type { ComponentsAddon } from './components.js';
import type { DownsampleAddon } from './downsample.js';
import type { OverlapAddon } from './overlap.js';
import type { PostprocessAddon } from './postprocess.js';
import type { ResampleAddon } from './resample.js';
import type { StitchAddon } from './stitch.js';
import type { SurfaceAddon } from './surface.js';

export type { BoundingBox, Connectivity, LabelArray, Size3, VoxelArray } from './addon.js';
export { ADDON_RELATIVE_PATH, addonPath } from './addon.js';

/**
 * The raw functions exported by medals_native.node (positional arguments, all checked). Each
 * part is declared next to its wrappers, one file per src/*_binding.cc.
 */
export interface NativeAddon
  extends
    BboxAddon,
    ComponentsAddon,
    PostprocessAddon,
    SurfaceAddon,
    StitchAddon,
    ResampleAddon,
    OverlapAddon,
    DownsampleAddon {}

/** The addon at `path` (tests load a given build; the package loads its own, lazily). */
export const loadAddon = (path: string): NativeAddon => loadAddonAs<NativeAddon>(path);
/** The addon of this package, loaded once on first use. */
export const loadNative = (): NativeAddon => loadNativeAs<NativeAddon>();

export { countNonzero, nonzeroBoundingBox } from './bbox.js';

export type {
  ComponentLabels,
  ComponentStats,
  ComponentStatsOptions,
  Components,
  ConnectedComponentsIntoOptions,
  ConnectedComponentsOptions,
} from './components.js';
export {
  componentStats,
  componentStatsAsync,
  connectedComponents,
  connectedComponentsAsync,
} from './components.js';

export type {
  FillResult,
  FilterResult,
  LabelFilterOptions,
  ProbableOptions,
  RemoveSmallOptions,
} from './postprocess.js';
export {
  fillHoles,
  fillHolesAsync,
  keepLargestComponents,
  keepLargestComponentsAsync,
  keepProbableComponents,
  keepProbableComponentsAsync,
  MEDAL_S_PROBABLE_RULE,
  probableRule,
  removeSmallComponents,
  removeSmallComponentsAsync,
} from './postprocess.js';

export type {
  MaskOptions,
  NeighbourCodeMap,
  Spacing3,
  SurfaceDiceResult,
  SurfaceDistances,
} from './surface.js';
export {
  distanceTransform,
  distanceTransformAsync,
  neighbourCodes,
  neighbourCodesAsync,
  surfaceDice,
  surfaceDiceAsync,
  surfaceDistances,
  surfaceDistancesAsync,
  surfelAreas,
} from './surface.js';

export type {
  BlockMask,
  BlockMergeArgs,
  BlockSelectArgs,
  Hwd,
  LogitArray,
  StitchAccumulatorOptions,
  StitchAddArgs,
  StitchFinalizeArgs,
  StitchFinalizeOptions,
  StitchInfo,
  StitchResult,
} from './stitch.js';
export { blockMerge, blockSelect, gaussianImportance, StitchAccumulator, stitchInfo } from './stitch.js';

export type { AxisTaps, LabelAffine } from './resample.js';
export {
  resampleLabels,
  resampleLabelsAsync,
  resampleLabelsTaps,
  resampleLabelsTapsAsync,
} from './resample.js';

export type { LabelOverlap } from './overlap.js';
export { labelOverlap, labelOverlapAsync } from './overlap.js';

export { blockGridSize, blockMean, blockMode } from './downsample.js';
