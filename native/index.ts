/**
 * The public API of the C++ addon `medals_native.node` (see native/README.md): one module per
 * kernel family, each matching its src/*_binding.cc, re-exported here so that importers need
 * only this path.
 */
export type { BoundingBox, Connectivity, LabelArray, NativeAddon, Size3, VoxelArray } from './addon.js';
export { ADDON_RELATIVE_PATH, addonPath, loadAddon, loadNative } from './addon.js';

export { countNonzero, nonzeroBoundingBox } from './bbox.js';

export type {
  ComponentStats,
  ComponentStatsOptions,
  Components,
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
  Hwd,
  LogitArray,
  StitchAccumulatorOptions,
  StitchAddArgs,
  StitchFinalizeArgs,
  StitchFinalizeOptions,
  StitchInfo,
  StitchResult,
} from './stitch.js';
export { gaussianImportance, StitchAccumulator, stitchInfo } from './stitch.js';

export type { AxisTaps, LabelAffine } from './resample.js';
export {
  resampleLabels,
  resampleLabelsAsync,
  resampleLabelsTaps,
  resampleLabelsTapsAsync,
} from './resample.js';
