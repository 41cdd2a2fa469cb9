/**
 * The Medal S policy: every rule of the official inference that medals reproduces, with its
 * source line, as data where it can be. The steps import their rules from here and hold none.
 *
 * - classes.ts: every official class list;
 * - spacing-rules.ts: the dynamic spacing rules as a table; plan-spacing.ts walks it;
 *   plan-types.ts: the plan and rule records;
 * - npz-spacing.ts: how a challenge npz's spacing is read (reordering, swap heuristic);
 * - windows.ts: sliding-window placement;
 * - stage-rules.ts: skip rules, stage-1 cleaning, ROI growth, whole-image fallback,
 *   self-refinement rounds;
 * - output-rules.ts: instance output and the improved-classes rule;
 * - ct-windows.ts: medals' own rule, not Medal S's (which takes images already scaled to
 *   0..255): the CT window of each tissue group of the prompts.
 */
export {
  ENDOLYSOSOME_CLASSES,
  NO_ITERATION_CLASSES,
  PET_DESCEND_CLASSES,
  ROI_GROWTH_1_2_CLASSES,
  ROI_GROWTH_1_5_CLASSES,
  ROI_SQUEEZE_1_6_CLASSES,
  SPACING_1_CLASSES,
  SQUEEZE_1_2_CLASSES,
  SQUEEZE_1_6_CLASSES,
  STAGE1_ONLY_CLASSES,
  STAGE2_NO_ITERATION_CLASSES,
  STAGE2_ONLY_CLASSES,
  anyListed,
} from './classes.js';
export {
  AXIS_NAMES,
  type AxisName,
  type Hwd,
  type PlanSpacingInput,
  type PlanVariant,
  type RoiSpacingPlan,
  type SpacingPlan,
  type SpacingRule,
  type SpacingRuleRecord,
  type Stage,
} from './plan-types.js';
export {
  MAX_DIMS,
  MEDALS_STAGE_DEFAULTS,
  type RuleContext,
  type RuleEffect,
  SMALL_VOLUME_ALPHAS,
  SPACING_RULES,
  type SpacingRuleSpec,
} from './spacing-rules.js';
export { hwdFromXyz, planSpacing, planStage2RoiSpacing, roundHalfEven, xyzFromHwd } from './plan-spacing.js';
export { type ArrayAxis, type NpzSpacing, type NpzSpacingDecision, readNpzSpacing } from './npz-spacing.js';
export { paddedShape, planWindows, windowStarts } from './windows.js';
export {
  ROI_GROWTH,
  SELF_REFINEMENT,
  STAGE1_SMALL_COMPONENTS,
  STAGE2_WHOLE_IMAGE,
  type StageSkip,
  extraRounds,
  growRoi,
  officialSkip,
  roiGrowth,
} from './stage-rules.js';
export {
  IMPROVED_CLASSES_LIMIT,
  IMPROVED_CLASSES_RULE,
  INSTANCE_OUTPUT,
  MIN_INSTANCE_VOXELS,
  OUTPUT_CONNECTIVITY,
  improvedClassesApply,
} from './output-rules.js';
export { CT_WINDOWS, CT_WINDOW_GROUPS, type CtWindow, type CtWindowGroup } from './ct-windows.js';
