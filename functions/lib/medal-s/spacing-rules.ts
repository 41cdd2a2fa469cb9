/**
 * Medal S's dynamic spacing rules as a table: one entry per rule, with its official source
 * line, its condition and its effect, in the order the official code tries them. The planner
 * (plan-spacing.ts) only walks the table; reading this file top to bottom is reading
 * read_npz_data's loop (inference.py L381-468 at commit fcf3340; read, not copied) and main's
 * ROI-sizing copy of it (L970-1021).
 *
 * Rule by rule, with the parity figures that check them: docs/medal-s-pipeline.md section 3.
 */
import {
  ENDOLYSOSOME_CLASSES,
  PET_DESCEND_CLASSES,
  ROI_SQUEEZE_1_6_CLASSES,
  SPACING_1_CLASSES,
  SQUEEZE_1_2_CLASSES,
  SQUEEZE_1_6_CLASSES,
  anyListed,
} from './classes.js';
import type { Hwd, PlanVariant, SpacingRule, Stage } from './plan-types.js';

/** Medal S defaults per stage (inference.py L779-787), (H, W, D) order. The manifest may override. */
export const MEDALS_STAGE_DEFAULTS: Readonly<
  Record<Stage, { patch: Readonly<Hwd>; targetSpacing: Readonly<Hwd> }>
> = {
  1: { patch: [224, 224, 128], targetSpacing: [1.5, 1.5, 3.0] },
  2: { patch: [192, 192, 192], targetSpacing: [1.0, 1.0, 1.0] },
};

/** Max voxel counts per axis for the sub-millimetre and extent rules (L404), (H, W, D). */
export const MAX_DIMS: Readonly<Hwd> = [1000, 1000, 700];

/**
 * small-volume-finer's alphas: 1.25, 1.25^2, ... while <= 50, built by repeated multiplication
 * as L406-410 builds them (a power would round differently in the last bit).
 */
export const SMALL_VOLUME_ALPHAS: readonly number[] = (() => {
  const alphas: number[] = [];
  for (let t = 1.25; t <= 50; t *= 1.25) alphas.push(t);
  return alphas;
})();

/** The state the rules read and the planner updates, one plan at a time. */
export interface RuleContext {
  /** Distinct class keys: Medal S's `class_name_list = list(set(...))` (L838). */
  readonly keys: readonly string[];
  /** Exactly one distinct key: `len(class_name_list) == 1`. */
  readonly single: boolean;
  /** read_npz_data's stage_1_flag; false for main's ROI copy, which is stage 2's. */
  readonly stage1: boolean;
  readonly variant: PlanVariant;
  readonly shape: Readonly<Hwd>;
  readonly patch: Readonly<Hwd>;
  /** Nominal spacing, float32 values (the planner rounds every store). */
  readonly spacing: Hwd;
  /** Target spacing, a float64 list small-volume-finer rewrites in place. */
  readonly target: Hwd;
  /** The target as the stage gave it. */
  readonly modelTarget: Readonly<Hwd>;
  /** Rules that already fired on the axis being planned, in order. */
  readonly firedOnAxis: readonly SpacingRule[];
  /** Cap phase: the nominal volume (product of spacing x shape) after every axis rule. */
  readonly nominalVolume: number;
}

export interface RuleEffect {
  /** The new value; a spacing is stored as float32, a target spacing as it is. */
  value: number;
  reason: string;
}

export interface SpacingRuleSpec {
  id: SpacingRule;
  /** Where the rule lives in the official code; copied into every record of it. */
  source: string;
  /**
   * 'axis': the first per-axis loop (L413-459). 'cap': the second loop (L461-468), which runs
   * after every axis is through the first and reads their nominal volume.
   */
  phase: 'axis' | 'cap';
  /** The vector the rule writes: nominal spacing, or (small-volume-finer) the target. */
  field: 'spacing' | 'targetSpacing';
  /** One official if/elif chain: on an axis, the first rule of a chain that holds is the only one. */
  chain?: 'descend' | 'squeeze' | 'extent';
  /** Only after one of these fired on the same axis (the official nests the rule inside them). */
  after?: readonly SpacingRule[];
  /** Variants that have the rule; all when absent. */
  variants?: readonly PlanVariant[];
  condition(ctx: RuleContext, i: number): boolean;
  effect(ctx: RuleContext, i: number): RuleEffect;
}

const AXES = ['H', 'W', 'D'] as const;
const fmt = (x: number): string => String(Number(x.toPrecision(6)));

/** k x patch / shape, for the squeeze rules. */
function squeeze(ctx: RuleContext, i: number, k: number, what: string): RuleEffect {
  const { shape, patch } = ctx;
  return {
    value: (patch[i] * k) / shape[i],
    reason: `${AXES[i]}: ${what} and ${shape[i]} voxels > ${k} x patch ${patch[i]}: spacing = ${k} x patch / shape`,
  };
}

/** spacing / factor, never below the target. */
function descend(ctx: RuleContext, i: number, factor: number): RuleEffect {
  const { spacing, target } = ctx;
  return {
    value: Math.max(spacing[i] / factor, target[i]),
    reason: `${AXES[i]}: single class, spacing ${fmt(spacing[i])} / ${factor}, not below the target ${fmt(target[i])}`,
  };
}

/** The per-axis rules in the official order, then the multi-class cap. */
export const SPACING_RULES: readonly SpacingRuleSpec[] = [
  {
    // These microscopy classes were trained at unit spacing whatever the header says.
    id: 'class-spacing-1',
    source: 'inference.py L414-415',
    phase: 'axis',
    field: 'spacing',
    condition: (ctx) => anyListed(ctx.keys, SPACING_1_CLASSES),
    effect: (ctx, i) => ({
      value: 1.0,
      reason: `${AXES[i]}: class ${ctx.keys.join(', ')} is always planned at spacing 1.0`,
    }),
  },
  {
    // The stage-2 model works at 1 mm, so finer axes are not upsampled further unless huge.
    id: 'submm-as-1',
    source: 'inference.py L417-418',
    phase: 'axis',
    field: 'spacing',
    condition: (ctx, i) => ctx.spacing[i] < 1.0 && ctx.shape[i] <= MAX_DIMS[i],
    effect: (ctx, i) => ({
      value: 1.0,
      reason: `${AXES[i]}: sub-millimetre spacing ${fmt(ctx.spacing[i])} mm with ${ctx.shape[i]} <= ${MAX_DIMS[i]} voxels is treated as 1.0`,
    }),
  },
  {
    // One class only: approach the target gradually instead of jumping to it.
    id: 'single-class-pet-descend',
    source: 'inference.py L421-425',
    phase: 'axis',
    field: 'spacing',
    chain: 'descend',
    condition: (ctx, i) => ctx.single && ctx.spacing[i] > 1.0 && anyListed(ctx.keys, PET_DESCEND_CLASSES),
    effect: (ctx, i) => descend(ctx, i, ctx.stage1 ? 1.45 : 1.35),
  },
  {
    id: 'single-class-descend',
    source: 'inference.py L428-429',
    phase: 'axis',
    field: 'spacing',
    chain: 'descend',
    condition: (ctx, i) => ctx.single && ctx.spacing[i] > 1.0,
    effect: (ctx, i) => descend(ctx, i, 1.2),
  },
  {
    // Keeps a very coarse axis near 3-3.5x the target instead of upsampling it fully.
    id: 'anisotropy-compress',
    source: 'inference.py L426-427, L430-431',
    phase: 'axis',
    field: 'spacing',
    after: ['single-class-pet-descend', 'single-class-descend'],
    condition: (ctx, i) => ctx.spacing[i] / ctx.target[i] > 3,
    effect: (ctx, i) => {
      const ratio = ctx.spacing[i] / ctx.target[i];
      return {
        value: (3 * ctx.spacing[i]) / (ratio - 0.5),
        reason: `${AXES[i]}: spacing / target = ${fmt(ratio)} > 3, so spacing = 3 x spacing / (ratio - 0.5)`,
      };
    },
  },
  {
    // The squeeze sets spacing = k x patch / shape with no target factor: the working extent is
    // k x patch / target voxels (k x patch only at 1 mm targets).
    id: 'squeeze-2x-patch',
    source: 'inference.py L433-434',
    phase: 'axis',
    field: 'spacing',
    chain: 'squeeze',
    condition: (ctx, i) => ctx.shape[i] > ctx.patch[i] * 2.0 && ctx.single,
    effect: (ctx, i) => squeeze(ctx, i, 2, 'single class'),
  },
  {
    id: 'squeeze-1.6x-patch',
    source: 'inference.py L435-436',
    phase: 'axis',
    field: 'spacing',
    chain: 'squeeze',
    condition: (ctx, i) =>
      ctx.shape[i] > ctx.patch[i] * 1.6 &&
      ctx.single &&
      anyListed(ctx.keys, ctx.variant === 'main-roi' ? ROI_SQUEEZE_1_6_CLASSES : SQUEEZE_1_6_CLASSES),
    effect: (ctx, i) => squeeze(ctx, i, 1.6, `class ${ctx.keys[0]}`),
  },
  {
    id: 'squeeze-1.2x-patch',
    source: 'inference.py L437-438',
    phase: 'axis',
    field: 'spacing',
    chain: 'squeeze',
    condition: (ctx, i) =>
      ctx.shape[i] > ctx.patch[i] * 1.2 && ctx.single && anyListed(ctx.keys, SQUEEZE_1_2_CLASSES),
    effect: (ctx, i) => squeeze(ctx, i, 1.2, `class ${ctx.keys[0]}`),
  },
  {
    // Unreachable in practice: submm-as-1 already raised any spacing < 1 within max dims to
    // 1.0. Kept so the plan stays faithful if that rule ever changes.
    id: 'thin-coarsen',
    source: 'inference.py L439-443',
    phase: 'axis',
    field: 'spacing',
    chain: 'squeeze',
    condition: (ctx, i) =>
      !ctx.stage1 && ctx.spacing[i] < 0.4 && ctx.shape[i] <= MAX_DIMS[i] && ctx.shape[i] > ctx.patch[i] * 2,
    effect: (ctx, i) => {
      const k = ctx.single ? 2 : 1.5;
      return { value: ctx.spacing[i] * k, reason: `${AXES[i]}: stage 2, spacing < 0.4 mm, coarsened x${k}` };
    },
  },
  {
    // A nominal extent beyond max dims is not resampled (spacing = target).
    id: 'extent-cap-target',
    source: 'inference.py L445-446',
    phase: 'axis',
    field: 'spacing',
    chain: 'extent',
    condition: (ctx, i) => ctx.spacing[i] * ctx.shape[i] > MAX_DIMS[i] && ctx.spacing[i] > ctx.target[i],
    effect: (ctx, i) => ({
      value: ctx.target[i],
      reason: `${AXES[i]}: nominal extent ${fmt(ctx.spacing[i] * ctx.shape[i])} > ${MAX_DIMS[i]} with spacing above the target: spacing = target`,
    }),
  },
  {
    // Smaller than one patch at the target: resample finer (lower the target) by the largest
    // power of 1.25 that still fits the patch, so the object fills more of the window.
    id: 'small-volume-finer',
    source: 'inference.py L447-456',
    phase: 'axis',
    field: 'targetSpacing',
    chain: 'extent',
    variants: ['read_npz_data'],
    condition: (ctx, i) => ctx.spacing[i] * ctx.shape[i] < ctx.patch[i] * ctx.target[i],
    effect: (ctx, i) => {
      const { spacing, shape, patch, target, modelTarget } = ctx;
      let alpha = 1;
      for (let k = SMALL_VOLUME_ALPHAS.length - 1; k >= 0; k--) {
        if (shape[i] <= patch[i] / SMALL_VOLUME_ALPHAS[k]) {
          alpha = SMALL_VOLUME_ALPHAS[k];
          break;
        }
      }
      const t = Math.max((spacing[i] * shape[i]) / patch[i], spacing[i] / alpha);
      return {
        value: Math.min(modelTarget[i], t),
        reason:
          `${AXES[i]}: nominal extent ${fmt(spacing[i] * shape[i])} < patch x target ${fmt(patch[i] * target[i])}: ` +
          `target = max(extent / patch, spacing / ${fmt(alpha)}) capped at ${fmt(modelTarget[i])}`,
      };
    },
  },
  {
    // Stage 2 only; main's ROI copy (L1011-1012) has no stage test but is stage 2 anyway.
    id: 'endolysosomes-1.1',
    source: 'inference.py L458-459',
    phase: 'axis',
    field: 'spacing',
    condition: (ctx) => !ctx.stage1 && anyListed(ctx.keys, ENDOLYSOSOME_CLASSES),
    effect: (ctx, i) => ({
      value: ctx.spacing[i] * 1.1,
      reason: `${AXES[i]}: Microscopy_Endolysosomes in stage 2: spacing x 1.1`,
    }),
  },
  {
    // Several classes on a large volume: cap each long axis near 1.9 x patch. The official test
    // compares a physical volume (mm^3) with a voxel count (1.8^3 x patch voxels).
    id: 'multi-class-cap-1.9x',
    source: 'inference.py L461-468, L30-47',
    phase: 'cap',
    field: 'spacing',
    condition: (ctx, i) =>
      ctx.nominalVolume > 1.8 ** 3 * (ctx.patch[0] * ctx.patch[1] * ctx.patch[2]) &&
      !ctx.single &&
      ctx.spacing[i] * ctx.shape[i] > ctx.patch[i] * 1.9 * ctx.target[i],
    effect: (ctx, i) => {
      const { spacing, shape, patch, target } = ctx;
      const c = (patch[i] * 1.9 * target[i]) / shape[i];
      return {
        value: spacing[i] > target[i] ? Math.max(target[i], c / 1.1) : Math.min(target[i], c),
        reason:
          `${AXES[i]}: ${ctx.keys.length} classes on a large volume, extent ${fmt(spacing[i] * shape[i])} > ` +
          `1.9 x patch x target: spacing capped by 1.9 x patch x target / shape = ${fmt(c)}`,
      };
    },
  },
];
