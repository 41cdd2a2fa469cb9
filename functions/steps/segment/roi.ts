/**
 * The stage-2 region of interest, the way Medal S's main() sizes it (inference.py at fcf3340,
 * L940-1040; read, not copied): the bounding box of the stage-1 foreground on the ORIGINAL
 * grid, grown about its centre by 1.1 (1.5 for airway trees), each half range at least about
 * half a stage-2 patch in nominal millimetres (planStage2RoiSpacing's minHalfRange), the ends
 * truncated to integers like Python's int() and clipped to the image.
 */
import { type Hwd, hwdFromXyz, planStage2RoiSpacing, xyzFromHwd } from '../../lib/medal-s/plan-spacing.js';
import { type Box, type Vec3, type Volume, boundingBox, indexToPoint } from '../../lib/geometry/volume.js';

/** Classes whose ROI grows by 1.5 instead of 1.1 (L955). */
export const ROI_GROWTH_1_5_CLASSES = ['CT_Airway Tree'] as const;

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
  const foreground = boundingBox(labels);
  if (!foreground) return null;
  const growth = options.classKeys.some((k) => (ROI_GROWTH_1_5_CLASSES as readonly string[]).includes(k))
    ? 1.5
    : 1.1;
  const plan = planStage2RoiSpacing({
    imageSpacing: hwdFromXyz(labels.spacing),
    shape: hwdFromXyz(labels.size),
    classKeys: options.classKeys,
    patch: options.patch,
    targetSpacing: options.targetSpacing,
  });
  const minHalfRange = xyzFromHwd(plan.minHalfRange);
  const min = [0, 0, 0] as Vec3;
  const max = [0, 0, 0] as Vec3;
  for (let a = 0; a < 3; a++) {
    const lo = foreground.min[a];
    const hi = foreground.max[a];
    const centre = (lo + hi) / 2;
    const range = Math.max(minHalfRange[a], ((hi - lo + 1) * growth) / 2);
    // Python's int() truncates toward zero.
    min[a] = Math.max(0, Math.trunc(centre - range));
    max[a] = Math.min(labels.size[a] - 1, Math.trunc(centre + range));
  }
  const box = { min, max };
  return {
    box,
    boxMm: { min: indexToPoint(labels.geometry, min), max: indexToPoint(labels.geometry, max) },
    foreground,
    growth,
    minHalfRange,
  };
}
