/**
 * Per-value voxel counts and bounding boxes of a (ground truth, prediction) pair of uint8 label
 * maps in one pass, for the semantic metrics (src/label_overlap.*, binding in
 * src/overlap_binding.cc).
 */
import { loadNative } from './addon.js';
import type { Size3 } from './addon.js';

/**
 * Indexed by value 0..255: voxels holding the value in gt, in pred, and in both at once; the
 * value's inclusive box in gt and in pred, 6 entries per value (minX, minY, minZ, maxX, maxY,
 * maxZ), all -1 where the value is absent and always for 0 (the background).
 */
export interface LabelOverlap {
  gtCounts: Float64Array;
  predCounts: Float64Array;
  sameCounts: Float64Array;
  gtBoxes: Int32Array;
  predBoxes: Int32Array;
}

type LabelOverlapArgs = [gt: Uint8Array, pred: Uint8Array, size: Size3];

/** The raw overlap functions of the addon. */
export interface OverlapAddon {
  labelOverlap(...args: LabelOverlapArgs): LabelOverlap;
  labelOverlapAsync(...args: LabelOverlapArgs): Promise<LabelOverlap>;
}

/**
 * Counts and boxes of every value of two uint8 label maps of `size` (x fastest), in one pass.
 * Throws TypeError for other array types and RangeError for a length that is not X * Y * Z.
 */
export function labelOverlap(gt: Uint8Array, pred: Uint8Array, size: Size3): LabelOverlap {
  return loadNative<OverlapAddon>().labelOverlap(gt, pred, size);
}

/** labelOverlap on the libuv thread pool; do not write into `gt` or `pred` until it settles. */
export async function labelOverlapAsync(
  gt: Uint8Array,
  pred: Uint8Array,
  size: Size3,
): Promise<LabelOverlap> {
  return loadNative<OverlapAddon>().labelOverlapAsync(gt, pred, size);
}
