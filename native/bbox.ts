/** Nonzero bounding box and count (src/bbox.*, bindings in src/bbox_binding.cc). */
import { loadNative } from './addon.js';
import type { BoundingBox, Size3, VoxelArray } from './addon.js';

/** The raw bounding-box functions of the addon. */
export interface BboxAddon {
  nonzeroBoundingBox(data: VoxelArray, size: Size3): BoundingBox | null;
  countNonzero(data: VoxelArray, size: Size3): number;
}

/**
 * Inclusive bounding box of the voxels with value !== 0 (NaN counts as nonzero), or null
 * when there are none. Throws TypeError/RangeError on a bad buffer type, size, or length.
 */
export function nonzeroBoundingBox(data: VoxelArray, size: Size3): BoundingBox | null {
  return loadNative<BboxAddon>().nonzeroBoundingBox(data, size);
}

/** Number of voxels with value !== 0 (NaN counts as nonzero); same checks as above. */
export function countNonzero(data: VoxelArray, size: Size3): number {
  return loadNative<BboxAddon>().countNonzero(data, size);
}
