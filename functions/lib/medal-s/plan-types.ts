/**
 * The shapes of a Medal S spacing plan: what the planner (plan-spacing.ts) takes and returns,
 * and the record of each rule (spacing-rules.ts) that fired. preprocess.json and segment.json
 * carry these records, so their fields are part of the output format.
 *
 * AXIS ORDER. Every vector is in the model's (H, W, D) order. For a challenge npz, (H, W, D) are
 * the array axes after `rearrange('d h w -> h w d')`; for an ITK/NIfTI buffer (x fastest) the
 * model input is indexed (y, x, z), so H = y, W = x, D = z (plan-spacing.ts `hwdFromXyz`).
 */
import type { Vec3 } from '../geometry/volume.js';

/** A vector in the model's (H, W, D) = (y, x, z) axis order. */
export type Hwd = Vec3;
export type Stage = 1 | 2;

export const AXIS_NAMES = ['H', 'W', 'D'] as const;
export type AxisName = (typeof AXIS_NAMES)[number];

/** Machine-readable rule names, one per entry of spacing-rules.ts SPACING_RULES. */
export type SpacingRule =
  | 'class-spacing-1'
  | 'submm-as-1'
  | 'single-class-descend'
  | 'single-class-pet-descend'
  | 'anisotropy-compress'
  | 'squeeze-2x-patch'
  | 'squeeze-1.6x-patch'
  | 'squeeze-1.2x-patch'
  | 'thin-coarsen'
  | 'extent-cap-target'
  | 'small-volume-finer'
  | 'endolysosomes-1.1'
  | 'multi-class-cap-1.9x';

/**
 * Which official copy of the rules runs: read_npz_data (L381-468, the plan of the volume the
 * model sees) or main's copy that sizes the stage-2 ROI (L970-1021).
 */
export type PlanVariant = 'read_npz_data' | 'main-roi';

/** One rule that fired on one axis: the value it changed (nominal spacing or target spacing). */
export interface SpacingRuleRecord {
  rule: SpacingRule;
  axis: AxisName;
  field: 'spacing' | 'targetSpacing';
  from: number;
  to: number;
  /** Where the rule lives in the official code. */
  source: string;
  /** One sentence a person can read. */
  reason: string;
}

export interface PlanSpacingInput {
  /** Image spacing in mm, (H, W, D) = (y, x, z). For npz input, `readNpzSpacing(...).hwd`. */
  imageSpacing: Readonly<Hwd>;
  /** Voxels per axis, (H, W, D). Stage 2: the shape of the ROI crop the model will see. */
  shape: Readonly<Hwd>;
  stage: Stage;
  /** Prompted classes as `<Modality>_<canonical name>` keys; duplicates collapse, as in Medal S. */
  classKeys: readonly string[];
  /** The stage's patch (model input size), (H, W, D). */
  patch: Readonly<Hwd>;
  /** The stage's target spacing in mm, (H, W, D). */
  targetSpacing: Readonly<Hwd>;
}

export interface SpacingPlan {
  axisOrder: 'HWD';
  stage: Stage;
  /**
   * Nominal spacing Medal S assigns to the input (H, W, D): what it pretends the voxels measure,
   * e.g. 1.0 for a 0.8 mm axis. The ratio spacing / targetSpacing is the resampling factor.
   */
  spacing: Hwd;
  /** Nominal spacing of the working grid: the model target, lowered for volumes under one patch. */
  targetSpacing: Hwd;
  /** Voxels after resampling, (H, W, D): round(spacing / targetSpacing x shape), half to even. */
  workingShape: Hwd;
  /** True physical spacing of the working grid in mm: input extent / workingShape. */
  workingSpacing: Hwd;
  /** workingShape padded at the high end up to the patch: what the sliding window runs on. */
  paddedShape: Hwd;
  /**
   * The axis nnU-Net resamples separately (nearest along it) for spacing -> targetSpacing, as
   * data/default_resampling.py L36-69 decides it with threshold 3; null when none.
   */
  separateAxis: AxisName | null;
  /** Distinct class keys the plan was made for. */
  classKeys: string[];
  rules: SpacingRuleRecord[];
  /** Distinct rule names in the order they first fired. */
  ruleNames: SpacingRule[];
  /** A human sentence: what was decided and why. */
  summary: string;
}

export interface RoiSpacingPlan {
  axisOrder: 'HWD';
  /** The nominal spacing main computes for the whole image to size the stage-2 ROI. */
  spacing: Hwd;
  /**
   * Minimum ROI half range in voxels of the original grid, (patch / 2) x target / spacing - 1
   * (L1023-1030): the ROI half range is max(this, stage-1 half range x growth factor).
   */
  minHalfRange: Hwd;
  rules: SpacingRuleRecord[];
}
