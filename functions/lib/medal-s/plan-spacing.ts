/**
 * The Medal S spacing planner: walks the rule table (spacing-rules.ts) over a volume's axes, as a
 * pure function, so that Preprocess can plan both stages before any voxel moves. The record
 * types are in plan-types.ts, the rules with their official lines in spacing-rules.ts.
 *
 * Source: github.com/yinghemedical/Medal-S, inference.py at commit fcf3340 (read, not copied):
 *   - read_npz_data (L381-477): the plan of the volume the model sees, both stages;
 *   - main (L970-1030): the same rules on the whole image to size the stage-2 ROI
 *     (planStage2RoiSpacing), L1023-1030 the minimum half range;
 *   - L474, L256-267 and data/default_resampling.py L26-32: working shape
 *     round(spacing / target x shape), Python's round (half to even);
 *   - L477, L320-333: padded at the high end up to the patch.
 *
 * NUMERICS. Medal S keeps `spacing` in a float32 numpy array and (numpy 1.x, the Docker image's
 * era) computes every expression in float64, storing back into float32; the target spacing is a
 * Python list of float64. We reproduce that: double arithmetic, `Math.fround` on every store into
 * `spacing`, none on the target. The working shape uses round-half-to-even like Python's round.
 *
 * Rule by rule, with the official lines and the parity figures that check them:
 * docs/medal-s-pipeline.md.
 */
import { InvalidInputError } from '../core/errors.js';
import {
  AXIS_NAMES,
  type AxisName,
  type Hwd,
  type PlanSpacingInput,
  type PlanVariant,
  type RoiSpacingPlan,
  type SpacingPlan,
  type SpacingRule,
  type SpacingRuleRecord,
} from './plan-types.js';
import { type RuleContext, SPACING_RULES, type SpacingRuleSpec } from './spacing-rules.js';

/** ITK (x, y, z) to model (H, W, D) = (y, x, z): swap the first two entries. */
export function hwdFromXyz<T>(v: readonly [T, T, T]): [T, T, T] {
  return [v[1], v[0], v[2]];
}

/** Model (H, W, D) = (y, x, z) to ITK (x, y, z): swap the first two entries. */
export function xyzFromHwd<T>(v: readonly [T, T, T]): [T, T, T] {
  return [v[1], v[0], v[2]];
}

/** Python's round(): to nearest, ties to even (compute_new_shape uses int(round(x))). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends .5 up; Python sends it to the even neighbour.
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const f32 = Math.fround;

function checkVec(name: string, v: Readonly<Hwd>, integer: boolean): void {
  const ok =
    Array.isArray(v) &&
    v.length === 3 &&
    v.every((x) => typeof x === 'number' && Number.isFinite(x) && x > 0 && (!integer || Number.isInteger(x)));
  if (!ok) {
    const what = integer ? 'three positive integers' : 'three positive finite numbers';
    throw new InvalidInputError(`${name} must be ${what} in (H, W, D) order, got ${String(v)}`);
  }
}

function checkInput(input: PlanSpacingInput): void {
  checkVec('imageSpacing', input.imageSpacing, false);
  checkVec('shape', input.shape, true);
  checkVec('patch', input.patch, true);
  checkVec('targetSpacing', input.targetSpacing, false);
  if (input.stage !== 1 && input.stage !== 2) {
    throw new InvalidInputError(`stage must be 1 or 2, got ${String(input.stage)}`);
  }
  if (
    !Array.isArray(input.classKeys) ||
    input.classKeys.length === 0 ||
    input.classKeys.some((k) => typeof k !== 'string' || k.length === 0)
  ) {
    throw new InvalidInputError('classKeys must be a non-empty list of `<Modality>_<name>` class keys');
  }
}

const fmt = (x: number): string => String(Number(x.toPrecision(6)));

interface CoreResult {
  spacing: Hwd;
  targetSpacing: Hwd;
  rules: SpacingRuleRecord[];
  classKeys: string[];
}

/** Walks SPACING_RULES: every axis through the 'axis' rules, then every axis through the cap. */
function runRules(input: PlanSpacingInput, stage1: boolean, variant: PlanVariant): CoreResult {
  const keys = [...new Set(input.classKeys)];
  const firedOnAxis: SpacingRule[] = [];
  const ctx: { -readonly [K in keyof RuleContext]: RuleContext[K] } = {
    keys,
    single: keys.length === 1,
    stage1,
    variant,
    shape: input.shape,
    patch: input.patch,
    // read_npz_data casts to float32 first (L383).
    spacing: input.imageSpacing.map(f32) as Hwd,
    target: [...input.targetSpacing] as Hwd,
    modelTarget: [...input.targetSpacing] as Hwd,
    firedOnAxis,
    nominalVolume: NaN,
  };
  const rules: SpacingRuleRecord[] = [];
  const walk = (phase: SpacingRuleSpec['phase']) => {
    for (let i = 0; i < 3; i++) {
      firedOnAxis.length = 0;
      const chainsDone = new Set<string>();
      for (const rule of SPACING_RULES) {
        if (rule.phase !== phase || (rule.variants && !rule.variants.includes(variant))) continue;
        if (rule.chain && chainsDone.has(rule.chain)) continue;
        if (rule.after && !rule.after.some((r) => firedOnAxis.includes(r))) continue;
        if (!rule.condition(ctx, i)) continue;
        const { value, reason } = rule.effect(ctx, i);
        const vector = rule.field === 'spacing' ? ctx.spacing : ctx.target;
        const to = rule.field === 'spacing' ? f32(value) : value;
        rules.push({
          rule: rule.id,
          axis: AXIS_NAMES[i],
          field: rule.field,
          from: vector[i],
          to,
          source: rule.source,
          reason,
        });
        vector[i] = to;
        firedOnAxis.push(rule.id);
        if (rule.chain) chainsDone.add(rule.chain);
      }
    }
  };
  walk('axis');
  // np.prod multiplies the three extents left to right.
  const { spacing, shape } = ctx;
  ctx.nominalVolume = spacing[0] * shape[0] * (spacing[1] * shape[1]) * (spacing[2] * shape[2]);
  walk('cap');
  return { spacing, targetSpacing: ctx.target, rules, classKeys: keys };
}

/** nnU-Net's separate-z decision (default_resampling.py L16-23, L36-69), threshold 3. */
function anisotropicAxis(current: Readonly<Hwd>, next: Readonly<Hwd>): AxisName | null {
  // The nominal spacing is a float32 array there, so its ratios are float32 divisions (0.912 /
  // 0.304 is exactly 3 in float32, above 3 in float64); the target is a float64 list.
  const axisOf = (s: Readonly<Hwd>, float32: boolean): number | null | 'none' => {
    const div = float32 ? (x: number, y: number) => f32(x / y) : (x: number, y: number) => x / y;
    const max = Math.max(...s);
    if (!(div(max, Math.min(...s)) > 3)) return null;
    const axes = [0, 1, 2].filter((a) => div(max, s[a]) === 1);
    // Two or three axes at the maximum (e.g. 0.24, 1.25, 1.25): no separate axis at all.
    return axes.length === 1 ? axes[0] : 'none';
  };
  const fromCurrent = axisOf(current, true);
  const axis = fromCurrent === null ? axisOf(next, false) : fromCurrent;
  return axis === null || axis === 'none' ? null : AXIS_NAMES[axis];
}

/**
 * The spacing Medal S would plan for one stage (read_npz_data, inference.py L381-477), with the
 * working shape it resamples to. All vectors (H, W, D) = (y, x, z).
 */
export function planSpacing(input: PlanSpacingInput): SpacingPlan {
  checkInput(input);
  const core = runRules(input, input.stage === 1, 'read_npz_data');
  const { spacing, targetSpacing } = core;
  // compute_new_shape: int(round(old_spacing / new_spacing * old_shape)), Python round.
  const workingShape = [0, 1, 2].map((i) =>
    Math.max(1, roundHalfEven((spacing[i] / targetSpacing[i]) * input.shape[i])),
  ) as Hwd;
  const workingSpacing = [0, 1, 2].map(
    (i) => (input.imageSpacing[i] * input.shape[i]) / workingShape[i],
  ) as Hwd;
  const paddedShape = [0, 1, 2].map((i) => Math.max(workingShape[i], input.patch[i])) as Hwd;
  const ruleNames = [...new Set(core.rules.map((r) => r.rule))];
  const separateAxis = anisotropicAxis(spacing, targetSpacing);
  const list = (v: readonly number[]) => v.map(fmt).join(', ');
  const summary =
    `Stage ${input.stage}, ${core.classKeys.length === 1 ? `one class (${core.classKeys[0]})` : `${core.classKeys.length} classes`}: ` +
    `image ${input.shape.join('x')} at ${list(input.imageSpacing)} mm (H, W, D) is planned at nominal spacing ` +
    `${list(spacing)} mm to target ${list(targetSpacing)} mm, working shape ${workingShape.join('x')} ` +
    `(true spacing ${list(workingSpacing)} mm), padded to ${paddedShape.join('x')}; ` +
    (core.rules.length === 0
      ? 'no rule changed the spacing.'
      : `rules: ${core.rules.map((r) => `${r.rule} (${r.axis})`).join(', ')}.`);
  return {
    axisOrder: 'HWD',
    stage: input.stage,
    spacing,
    targetSpacing,
    workingShape,
    workingSpacing,
    paddedShape,
    separateAxis,
    classKeys: core.classKeys,
    rules: core.rules,
    ruleNames,
    summary,
  };
}

/**
 * The spacing main() computes on the whole image before stage 2 to give the ROI at least about
 * one stage-2 patch (inference.py L970-1030). It differs from planSpacing(stage 2): no
 * small-volume-finer rule and CT_Airways is not in the 1.6x list. Official quirk: main indexes the
 * patch and target in (D, H, W) order there; with the cubic 192 patch and 1 mm target that makes
 * no difference, and here they are taken in (H, W, D) order like every other vector.
 */
export function planStage2RoiSpacing(input: Omit<PlanSpacingInput, 'stage'>): RoiSpacingPlan {
  const full: PlanSpacingInput = { ...input, stage: 2 };
  checkInput(full);
  const core = runRules(full, false, 'main-roi');
  const minHalfRange = [0, 1, 2].map(
    (i) => ((input.patch[i] / 2) * input.targetSpacing[i]) / core.spacing[i] - 1,
  ) as Hwd;
  return { axisOrder: 'HWD', spacing: core.spacing, minHalfRange, rules: core.rules };
}
