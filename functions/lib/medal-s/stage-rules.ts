/**
 * How Medal S's main() chains its two stages: which stage a case skips, how stage 1's labels are
 * cleaned and grown into the stage-2 region, when stage 2 falls back to the whole image, and how
 * many self-refinement rounds a window gets. Source: inference.py at commit fcf3340 (read, not
 * copied); the steps (functions/steps/segment) apply these, this file only decides.
 *
 * Rule by rule, with the parity figures that check them: docs/medal-s-pipeline.md section 6.
 */
import type { Box, Vec3 } from '../geometry/volume.js';
import {
  NO_ITERATION_CLASSES,
  ROI_GROWTH_1_2_CLASSES,
  ROI_GROWTH_1_5_CLASSES,
  STAGE1_ONLY_CLASSES,
  STAGE2_NO_ITERATION_CLASSES,
  STAGE2_ONLY_CLASSES,
  anyListed,
} from './classes.js';

/** A stage the official skip rules leave out, and why (segment.json `skipped`). */
export interface StageSkip {
  stage: 1 | 2;
  reason: string;
}

/**
 * The official skip rules (L855-866), for a case that would run both stages: stage-1-only classes
 * first (their stage-1 output is final, without the small-component removal, L911-914), else
 * stage-2-only classes (stage 2 on the whole image, L923-945).
 */
export function officialSkip(classKeys: readonly string[]): StageSkip | null {
  if (anyListed(classKeys, STAGE1_ONLY_CLASSES))
    return { stage: 2, reason: 'a prompted class is segmented by stage 1 only (official skip rule)' };
  if (anyListed(classKeys, STAGE2_ONLY_CLASSES))
    return { stage: 1, reason: 'a prompted class is segmented by stage 2 only (official skip rule)' };
  return null;
}

/**
 * Stage 2 without a region: when stage 1 finds nothing (L908-909) or was skipped, stage 2 runs
 * on the whole image without spatial prompts (L923-945), with its own plan. An empty map after
 * the small-component removal takes the same path (the official code crashes there, L957-960).
 */
export const STAGE2_WHOLE_IMAGE = {
  source: 'inference.py L908-909, L923-945',
  noForeground: 'stage 1 found no foreground',
  stage1Skipped: 'stage 1 was skipped',
} as const;

/**
 * Stage-1 components smaller than this are removed before the ROI, on the union `label > 0`
 * with scipy's default 6-connectivity, for semantic tasks only (L67-73, L916-921).
 */
export const STAGE1_SMALL_COMPONENTS = {
  minSize: 10,
  connectivity: 6,
  source: 'inference.py L67-73, L916-921',
} as const;

/**
 * Self-refinement block edges: 8^3 blocks split the stage-2 prompt (L659), 4^3 blocks each
 * extra round of an instance task (L671). The windows' draws: compute_patch_prediction L75-232.
 */
export const SELF_REFINEMENT = {
  blockSize: 8,
  extraBlockSize: 4,
  source: 'inference.py L75-232, L655-673',
} as const;

/**
 * Extra refinement rounds from a window's own prediction (L666-673): num_iterations (L390-402)
 * is 1 for instance tasks, 0 when a no-iteration class is prompted (stage 2 has one more).
 * Semantic tasks take none.
 */
export function extraRounds(stage: 1 | 2, instance: boolean, classKeys: readonly string[]): number {
  if (!instance) return 0;
  if (anyListed(classKeys, NO_ITERATION_CLASSES)) return 0;
  if (stage === 2 && anyListed(classKeys, STAGE2_NO_ITERATION_CLASSES)) return 0;
  return 1;
}

/** The ROI growth factors, first listed class wins (L947-955). */
export const ROI_GROWTH = {
  byClass: [
    { classes: ROI_GROWTH_1_5_CLASSES, growth: 1.5 },
    { classes: ROI_GROWTH_1_2_CLASSES, growth: 1.2 },
  ],
  otherwise: 1.1,
  source: 'inference.py L947-955',
} as const;

/** The factor the stage-1 bounding box grows by about its centre (ROI_GROWTH). */
export function roiGrowth(classKeys: readonly string[]): number {
  const rule = ROI_GROWTH.byClass.find((r) => anyListed(classKeys, r.classes));
  return rule ? rule.growth : ROI_GROWTH.otherwise;
}

/**
 * The stage-2 ROI on the original grid (L957-968, L1023-1039): each half range is the
 * foreground's grown by `growth`, at least `minHalfRange` (about half a stage-2 patch,
 * plan-spacing.ts planStage2RoiSpacing), the ends truncated like Python's int() and clipped to
 * the image. `size` and all boxes are in the same axis order.
 */
export function growRoi(
  foreground: Box,
  size: Readonly<Vec3>,
  growth: number,
  minHalfRange: Readonly<Vec3>,
): Box {
  const min = [0, 0, 0] as Vec3;
  const max = [0, 0, 0] as Vec3;
  for (let a = 0; a < 3; a++) {
    const lo = foreground.min[a];
    const hi = foreground.max[a];
    const centre = (lo + hi) / 2;
    const range = Math.max(minHalfRange[a], ((hi - lo + 1) * growth) / 2);
    // int() truncates toward zero.
    min[a] = Math.max(0, Math.trunc(centre - range));
    max[a] = Math.min(size[a] - 1, Math.trunc(centre + range));
  }
  return { min, max };
}
