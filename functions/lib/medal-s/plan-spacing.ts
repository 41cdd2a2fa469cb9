/**
 * Medal S dynamic resampling plan: the per-axis spacing rules of the official inference code,
 * rewritten as a pure function so that Preprocess can plan both stages before any voxel moves.
 *
 * AXIS ORDER. Every vector here is in the model's (H, W, D) order. For a challenge npz, (H, W, D)
 * are the array axes after `rearrange('d h w -> h w d')`; for an ITK/NIfTI buffer (x fastest) the
 * model input is indexed (y, x, z), so H = y, W = x, D = z and an ITK size or spacing (x, y, z)
 * becomes (y, x, z) with `hwdFromXyz`. Patch sizes and target spacings in the Medal S tables are
 * in this order (stage 1: 224 x 224 x 128 at 1.5, 1.5, 3.0 mm).
 *
 * Source: github.com/yinghemedical/Medal-S, inference.py at commit fcf3340. Each rule below names
 * the lines it reproduces; reviewers can check them one by one.
 *
 *   read_npz_data (both stages, the plan of the volume the model actually sees):
 *   - L385-388  class lists: 1.6x squeeze (US_Thyroid, US_Jugular vein, US_Carotid artery,
 *               CT_Airway Tree, CT_Airways), 1.2x squeeze (US_Brain tumor), spacing 1.0
 *               (Microscopy_Endolysosomes, Microscopy_Mitochondria), PET factors (PET_Lesion)
 *   - L404-410  max dims (1000, 1000, 700), min dims = patch, thresholds 1.25^k <= 50
 *   - L414-415  class-spacing-1: any listed microscopy class forces every axis to 1.0
 *   - L417-418  submm-as-1: spacing < 1.0 on an axis with at most max-dims voxels reads as 1.0
 *   - L420-431  single class, spacing > 1.0: spacing / 1.2 (PET_Lesion: / 1.45 in stage 1,
 *               / 1.35 in stage 2), never below the target; then if spacing / target > 3,
 *               spacing = 3 * spacing / (spacing / target - 0.5) (anisotropy-compress)
 *   - L433-434  squeeze-2x-patch: single class and shape > 2 x patch: spacing = 2 * patch / shape
 *   - L435-436  squeeze-1.6x-patch: same with 1.6 for the 1.6x list
 *   - L437-438  squeeze-1.2x-patch: same with 1.2 for US_Brain tumor
 *   - L439-443  thin-coarsen: stage 2, spacing < 0.4 within max dims and shape > 2 x patch:
 *               x2 (single class) or x1.5 (several). Unreachable after L417-418 (see below).
 *   - L445-446  extent-cap-target: nominal extent > max dims and spacing > target: spacing = target
 *   - L447-456  small-volume-finer: nominal extent < patch x target: the TARGET spacing becomes
 *               max(extent / patch, spacing / alpha), at most the model target, where alpha is the
 *               largest 1.25^k with shape <= patch / 1.25^k (1 if none)
 *   - L458-459  endolysosomes-1.1: stage 2 and Microscopy_Endolysosomes: spacing x 1.1
 *   - L461-468, L30-47  multi-class-cap-1.9x: with more than one class, when the nominal volume
 *               (product of spacing x shape) exceeds 1.8^3 x prod(patch), every axis whose
 *               extent exceeds 1.9 x patch x target gets spacing max(target, c / 1.1) if it was
 *               coarser than the target, else min(target, c), c = 1.9 x patch x target / shape
 *   - L474, L256-267 and data/default_resampling.py L26-32  working shape:
 *               round(spacing / target x shape), Python's round (half to even)
 *   - L477, L320-333  padded at the high end up to the patch
 *   main (stage 2 ROI extent, planStage2RoiSpacing):
 *   - L970-1012 the same per-axis rules on the whole image, without small-volume-finer and with
 *               CT_Airways missing from the 1.6x list; L1014-1021 multi-class cap;
 *               L1023-1030 minimum half range (patch / 2) x target / spacing - 1 voxels.
 *
 * NUMERICS. Medal S keeps `spacing` in a float32 numpy array and (numpy 1.x, the Docker image's
 * era) computes every expression in float64, storing back into float32; the target spacing is a
 * Python list of float64. We reproduce that: double arithmetic, `Math.fround` on every store into
 * `spacing`, none on the target. The working shape uses round-half-to-even like Python's round.
 *
 * Read, not copied: written from the rules above, with the official names kept where they help.
 *
 * Rule by rule, with the official lines and the parity figures that check them:
 * docs/medal-s-pipeline.md.
 */
import { InvalidInputError } from '../core/errors.js';
import type { Vec3 } from '../geometry/volume.js';

/** A vector in the model's (H, W, D) = (y, x, z) axis order. */
export type Hwd = Vec3;
export type Stage = 1 | 2;

export const AXIS_NAMES = ['H', 'W', 'D'] as const;
export type AxisName = (typeof AXIS_NAMES)[number];

/** Medal S defaults per stage (inference.py L779-787), (H, W, D) order. The manifest may override. */
export const MEDALS_STAGE_DEFAULTS: Readonly<
  Record<Stage, { patch: Readonly<Hwd>; targetSpacing: Readonly<Hwd> }>
> = {
  1: { patch: [224, 224, 128], targetSpacing: [1.5, 1.5, 3.0] },
  2: { patch: [192, 192, 192], targetSpacing: [1.0, 1.0, 1.0] },
};

/** Max voxel counts per axis for the sub-millimetre and extent rules (L404), (H, W, D). */
export const MAX_DIMS: Readonly<Hwd> = [1000, 1000, 700];

// Class lists (L385-388); keys are `<Modality>_<canonical name>`.
export const SQUEEZE_1_6_CLASSES = [
  'US_Thyroid',
  'US_Jugular vein',
  'US_Carotid artery',
  'CT_Airway Tree',
  'CT_Airways',
] as const;
/** main's copy of the 1.6x list for the ROI extent (L972) lacks CT_Airways. */
export const ROI_SQUEEZE_1_6_CLASSES = [
  'US_Thyroid',
  'US_Jugular vein',
  'US_Carotid artery',
  'CT_Airway Tree',
] as const;
export const SQUEEZE_1_2_CLASSES = ['US_Brain tumor'] as const;
export const SPACING_1_CLASSES = ['Microscopy_Endolysosomes', 'Microscopy_Mitochondria'] as const;
export const PET_DESCEND_CLASSES = ['PET_Lesion'] as const;
export const ENDOLYSOSOME_CLASSES = ['Microscopy_Endolysosomes'] as const;

/** Machine-readable rule names, one per rule of the module header. */
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

const RULE_SOURCE: Record<SpacingRule, string> = {
  'class-spacing-1': 'inference.py L414-415',
  'submm-as-1': 'inference.py L417-418',
  'single-class-descend': 'inference.py L428-429',
  'single-class-pet-descend': 'inference.py L421-425',
  'anisotropy-compress': 'inference.py L426-427, L430-431',
  'squeeze-2x-patch': 'inference.py L433-434',
  'squeeze-1.6x-patch': 'inference.py L435-436',
  'squeeze-1.2x-patch': 'inference.py L437-438',
  'thin-coarsen': 'inference.py L439-443',
  'extent-cap-target': 'inference.py L445-446',
  'small-volume-finer': 'inference.py L447-456',
  'endolysosomes-1.1': 'inference.py L458-459',
  'multi-class-cap-1.9x': 'inference.py L461-468, L30-47',
};

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

interface CoreOptions {
  /** read_npz_data's stage_1_flag; always false for the ROI variant (it is stage 2's). */
  stage1: boolean;
  /** 'read_npz_data' (L381-468) or main's ROI extent copy (L970-1021). */
  variant: 'read_npz_data' | 'main-roi';
}

interface CoreResult {
  spacing: Hwd;
  targetSpacing: Hwd;
  rules: SpacingRuleRecord[];
  classKeys: string[];
}

/** The per-axis rules and the multi-class cap, shared by both variants. */
function runRules(input: PlanSpacingInput, options: CoreOptions): CoreResult {
  const keys = [...new Set(input.classKeys)];
  // Medal S builds class_name_list = list(set(...)): several prompts of one class count as one.
  const single = keys.length === 1;
  const has = (list: readonly string[]) => list.some((c) => keys.includes(c));
  const shape = input.shape;
  const patch = input.patch;
  // read_npz_data casts to float32 first (L383).
  const spacing = input.imageSpacing.map(f32) as Hwd;
  // The target is a mutable float64 list in Medal S (small-volume-finer rewrites it).
  const target = [...input.targetSpacing] as Hwd;
  const modelTarget = [...input.targetSpacing] as Hwd;
  const rules: SpacingRuleRecord[] = [];

  const set = (rule: SpacingRule, i: number, value: number, reason: string) => {
    const to = f32(value);
    rules.push({
      rule,
      axis: AXIS_NAMES[i],
      field: 'spacing',
      from: spacing[i],
      to,
      source: RULE_SOURCE[rule],
      reason,
    });
    spacing[i] = to;
  };

  // Thresholds 1.25, 1.25^2, ... while <= 50, by repeated multiplication as L407-410 does.
  const thresholds: number[] = [];
  for (let t = 1.25; t <= 50; t *= 1.25) thresholds.push(t);

  const squeeze16 = options.variant === 'main-roi' ? ROI_SQUEEZE_1_6_CLASSES : SQUEEZE_1_6_CLASSES;

  for (let i = 0; i < 3; i++) {
    const n = shape[i];
    const a = AXIS_NAMES[i];
    // L414-415: these microscopy classes were trained at unit spacing whatever the header says.
    if (has(SPACING_1_CLASSES)) {
      set('class-spacing-1', i, 1.0, `${a}: class ${keys.join(', ')} is always planned at spacing 1.0`);
    }
    // L417-418: the stage-2 model works at 1 mm, so finer axes are not upsampled further unless huge.
    if (spacing[i] < 1.0 && n <= MAX_DIMS[i]) {
      set(
        'submm-as-1',
        i,
        1.0,
        `${a}: sub-millimetre spacing ${fmt(spacing[i])} mm with ${n} <= ${MAX_DIMS[i]} voxels is treated as 1.0`,
      );
    }
    // L420-431: one class only: approach the target gradually instead of jumping to it.
    if (single && spacing[i] > 1.0) {
      const pet = has(PET_DESCEND_CLASSES);
      const factor = pet ? (options.stage1 ? 1.45 : 1.35) : 1.2;
      const rule: SpacingRule = pet ? 'single-class-pet-descend' : 'single-class-descend';
      set(
        rule,
        i,
        Math.max(spacing[i] / factor, target[i]),
        `${a}: single class, spacing ${fmt(spacing[i])} / ${factor}, not below the target ${fmt(target[i])}`,
      );
      if (spacing[i] / target[i] > 3) {
        // Keeps a very coarse axis near 3-3.5x the target instead of upsampling it fully.
        const ratio = spacing[i] / target[i];
        set(
          'anisotropy-compress',
          i,
          (3 * spacing[i]) / (ratio - 0.5),
          `${a}: spacing / target = ${fmt(ratio)} > 3, so spacing = 3 x spacing / (ratio - 0.5)`,
        );
      }
    }
    // L433-443: one elif chain. Note the squeeze sets spacing = k x patch / shape with no target
    // factor: the working extent is k x patch / target voxels (k x patch only at 1 mm targets).
    if (n > patch[i] * 2.0 && single) {
      set(
        'squeeze-2x-patch',
        i,
        (patch[i] * 2.0) / n,
        `${a}: single class and ${n} voxels > 2 x patch ${patch[i]}: spacing = 2 x patch / shape`,
      );
    } else if (n > patch[i] * 1.6 && single && has(squeeze16)) {
      set(
        'squeeze-1.6x-patch',
        i,
        (patch[i] * 1.6) / n,
        `${a}: class ${keys[0]} and ${n} voxels > 1.6 x patch ${patch[i]}: spacing = 1.6 x patch / shape`,
      );
    } else if (n > patch[i] * 1.2 && single && has(SQUEEZE_1_2_CLASSES)) {
      set(
        'squeeze-1.2x-patch',
        i,
        (patch[i] * 1.2) / n,
        `${a}: class ${keys[0]} and ${n} voxels > 1.2 x patch ${patch[i]}: spacing = 1.2 x patch / shape`,
      );
    } else if (!options.stage1 && spacing[i] < 0.4 && n <= MAX_DIMS[i] && n > patch[i] * 2) {
      // Unreachable in practice: submm-as-1 already raised any spacing < 1 within max dims to
      // 1.0. Kept so the plan stays faithful if that rule ever changes.
      const k = single ? 2 : 1.5;
      set('thin-coarsen', i, spacing[i] * k, `${a}: stage 2, spacing < 0.4 mm, coarsened x${k}`);
    }
    if (spacing[i] * n > MAX_DIMS[i] && spacing[i] > target[i]) {
      // L445-446: a nominal extent beyond max dims is not resampled (spacing = target).
      set(
        'extent-cap-target',
        i,
        target[i],
        `${a}: nominal extent ${fmt(spacing[i] * n)} > ${MAX_DIMS[i]} with spacing above the target: spacing = target`,
      );
    } else if (options.variant === 'read_npz_data' && spacing[i] * n < patch[i] * target[i]) {
      // L447-456: smaller than one patch at the target: resample finer (lower the target) by the
      // largest power of 1.25 that still fits the patch, so the object fills more of the window.
      let alpha = 1;
      for (let k = thresholds.length - 1; k >= 0; k--) {
        if (n <= patch[i] / thresholds[k]) {
          alpha = thresholds[k];
          break;
        }
      }
      const from = target[i];
      let t = Math.max((spacing[i] * n) / patch[i], spacing[i] / alpha);
      t = Math.min(modelTarget[i], t);
      target[i] = t;
      rules.push({
        rule: 'small-volume-finer',
        axis: a,
        field: 'targetSpacing',
        from,
        to: t,
        source: RULE_SOURCE['small-volume-finer'],
        reason:
          `${a}: nominal extent ${fmt(spacing[i] * n)} < patch x target ${fmt(patch[i] * from)}: ` +
          `target = max(extent / patch, spacing / ${fmt(alpha)}) capped at ${fmt(modelTarget[i])}`,
      });
    }
    // L458-459 (stage 2 only; main's ROI copy L1011-1012 has no stage test but is stage 2 anyway).
    if (!options.stage1 && has(ENDOLYSOSOME_CLASSES)) {
      set(
        'endolysosomes-1.1',
        i,
        spacing[i] * 1.1,
        `${a}: Microscopy_Endolysosomes in stage 2: spacing x 1.1`,
      );
    }
  }

  // L461-468: several classes on a large volume: cap each long axis near 1.9 x patch. Note the
  // official test compares a physical volume (mm^3) with a voxel count (1.8^3 x patch voxels).
  // np.prod multiplies the three extents left to right.
  const volume = spacing[0] * shape[0] * (spacing[1] * shape[1]) * (spacing[2] * shape[2]);
  const threshold = 1.8 ** 3 * (patch[0] * patch[1] * patch[2]);
  if (volume > threshold && !single) {
    for (let i = 0; i < 3; i++) {
      if (spacing[i] * shape[i] > patch[i] * 1.9 * target[i]) {
        const c = (patch[i] * 1.9 * target[i]) / shape[i];
        const next = spacing[i] > target[i] ? Math.max(target[i], c / 1.1) : Math.min(target[i], c);
        set(
          'multi-class-cap-1.9x',
          i,
          next,
          `${AXIS_NAMES[i]}: ${keys.length} classes on a large volume, extent ${fmt(spacing[i] * shape[i])} > ` +
            `1.9 x patch x target: spacing capped by 1.9 x patch x target / shape = ${fmt(c)}`,
        );
      }
    }
  }
  return { spacing, targetSpacing: target, rules, classKeys: keys };
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
  const core = runRules(input, { stage1: input.stage === 1, variant: 'read_npz_data' });
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
  const core = runRules(full, { stage1: false, variant: 'main-roi' });
  const minHalfRange = [0, 1, 2].map(
    (i) => ((input.patch[i] / 2) * input.targetSpacing[i]) / core.spacing[i] - 1,
  ) as Hwd;
  return { axisOrder: 'HWD', spacing: core.spacing, minHalfRange, rules: core.rules };
}
