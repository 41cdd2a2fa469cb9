/**
 * Plain TypeScript versions of the native kernels: the test oracle for native/index.ts.
 * Written for clarity, not speed; they assume valid arguments (the addon does the checking).
 */
import type { BoundingBox, Size3, VoxelArray } from '../../native/index.js';

/** Inclusive bounding box of voxels with value !== 0 (NaN counts), or null when none. */
export function nonzeroBoundingBox(data: VoxelArray, size: Size3): BoundingBox | null {
  const [nx, ny, nz] = size;
  let box: BoundingBox | null = null;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        if (data[x + nx * (y + ny * z)] === 0) continue;
        if (box === null) {
          box = { min: [x, y, z], max: [x, y, z] };
          continue;
        }
        box.min = [Math.min(box.min[0], x), Math.min(box.min[1], y), Math.min(box.min[2], z)];
        box.max = [Math.max(box.max[0], x), Math.max(box.max[1], y), Math.max(box.max[2], z)];
      }
    }
  }
  return box;
}

/** Number of voxels with value !== 0 (NaN counts). */
export function countNonzero(data: VoxelArray, size: Size3): number {
  const n = size[0] * size[1] * size[2];
  let count = 0;
  for (let i = 0; i < n; i++) if (data[i] !== 0) count++;
  return count;
}

export {
  componentStats,
  connectedComponents,
  fillHoles,
  keepLargestComponents,
  keepProbableComponents,
  neighbourSteps,
  removeSmallComponents,
} from './components.js';

export { distanceTransform, neighbourCodes, surfaceDice, surfaceDistances, surfelAreas } from './surface.js';

export {
  blockMaskVoxels,
  blockMerge,
  blockSelect,
  floatToHalfBits,
  gaussianImportance,
  halfToFloat,
  roundToHalf,
  SIGMOID_LOGIT_RANGE,
  sigmoid,
  stitchAdd,
  stitchFinalize,
} from './stitch.js';

export { fmaf, resampleLabels, resampleLabelsTaps } from './resample.js';
