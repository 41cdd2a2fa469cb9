/**
 * The stage-2 region of interest, the way Medal S's main() sizes it (inference.py at fcf3340,
 * L940-1040; read, not copied): the bounding box of the stage-1 foreground on the ORIGINAL
 * grid, grown by the policy's factor (lib/medal-s stage-rules.ts roiGrowth, growRoi), each half
 * range at least about half a stage-2 patch in nominal millimetres (planStage2RoiSpacing's
 * minHalfRange).
 */
import {
  type Hwd,
  growRoi,
  hwdFromXyz,
  planStage2RoiSpacing,
  roiGrowth,
  xyzFromHwd,
} from '../../lib/medal-s/index.js';
import { type Box, type Vec3, type Volume, indexToPoint } from '../../lib/geometry/volume.js';
import { nonzeroBoundingBox } from '../../../native/index.js';

export interface Stage2Roi {
  /** Inclusive index box on the original grid, (x, y, z) volume axes. */
  box: Box;
  /** Physical points (mm) of the box's first and last voxel centres. */
  boxMm: { min: Vec3; max: Vec3 };
  /** Bounding box of the stage-1 foreground the ROI grew from. */
  foreground: Box;
  growth: number;
  /** Minimum half range per (x, y, z) axis in voxels of the original grid. */
  minHalfRange: Vec3;
}

export interface RoiOptions {
  /** `<Modality>_<name>` keys of the prompted classes. */
  classKeys: readonly string[];
  /** Stage-2 patch and target spacing, (H, W, D). */
  patch: Readonly<Hwd>;
  targetSpacing: Readonly<Hwd>;
}

/** The ROI around the non-zero voxels of `labels` (original grid), or null when there are none. */
export function stage2Roi(labels: Volume, options: RoiOptions): Stage2Roi | null {
  // In the addon: a scan of the full-resolution map, 60M voxels on a 512 x 512 x 240 CT.
  const foreground: Box | null = nonzeroBoundingBox(labels.data, labels.size);
  if (!foreground) return null;
  const growth = roiGrowth(options.classKeys);
  const plan = planStage2RoiSpacing({
    imageSpacing: hwdFromXyz(labels.spacing),
    shape: hwdFromXyz(labels.size),
    classKeys: options.classKeys,
    patch: options.patch,
    targetSpacing: options.targetSpacing,
  });
  const minHalfRange = xyzFromHwd(plan.minHalfRange);
  const box = growRoi(foreground, labels.size, growth, minHalfRange);
  return {
    box,
    boxMm: { min: indexToPoint(labels.geometry, box.min), max: indexToPoint(labels.geometry, box.max) },
    foreground,
    growth,
    minHalfRange,
  };
}
