/**
 * planSpacing / planStage2RoiSpacing / readNpzSpacing against spacings worked out by hand from the
 * rules of the official Medal-S inference.py (commit fcf3340; line numbers in
 * functions/lib/medal-s/spacing-rules.ts). All vectors are (H, W, D). Stage 1: patch 224x224x128,
 * target 1.5, 1.5, 3.0; stage 2: patch 192^3, target 1, 1, 1. Spacings are float32 in Medal S,
 * hence toBeCloseTo; shapes are exact.
 */
import { describe, expect, it } from 'vitest';
import {
  MEDALS_STAGE_DEFAULTS,
  SQUEEZE_1_6_CLASSES,
  type Hwd,
  type SpacingRule,
  type Stage,
  hwdFromXyz,
  planSpacing,
  planStage2RoiSpacing,
  roundHalfEven,
  xyzFromHwd,
  readNpzSpacing,
} from '../../../functions/lib/medal-s/index.js';

interface Case {
  name: string;
  given: { stage: Stage; classes: string[]; spacing: Hwd; shape: Hwd };
  /** Expected nominal spacing, target spacing, working shape and (where given) separate axis. */
  want: { spacing: Hwd; target: Hwd; shape: Hwd; separate?: 'H' | 'W' | 'D' | null };
  rules: SpacingRule[];
}

const CASES: Case[] = [
  {
    // H, W: 0.8 < 1 and 512 <= 1000 -> 1.0. Two classes: no single-class rule, no squeeze.
    // Extent 512 is within 336 (224 x 1.5) .. 1000. Working 1.0 / 1.5 x 512 = 341.33 -> 341.
    // D: 2.5 x 100 = 250 < 128 x 3 = 384 -> small volume: 100 <= 128 / 1.25 = 102.4 but
    // > 128 / 1.5625 = 81.9, alpha = 1.25; target = max(250 / 128 = 1.953, 2.5 / 1.25 = 2.0) = 2.0;
    // working 2.5 / 2 x 100 = 125. Cap: 512 x 512 x 250 = 65.5e6 > 1.8^3 x 224^2 x 128 = 37.5e6,
    // but H 512 < 1.9 x 224 x 1.5 = 638.4 and D 250 < 1.9 x 128 x 2.0 = 486.4: nothing capped.
    name: 'stage 1, two CT classes, 0.8 mm in-plane: sub-millimetre as 1.0, small D finer',
    given: { stage: 1, classes: ['CT_Liver', 'CT_Spleen'], spacing: [0.8, 0.8, 2.5], shape: [512, 512, 100] },
    want: { spacing: [1, 1, 2.5], target: [1.5, 1.5, 2.0], shape: [341, 341, 125], separate: null },
    rules: ['submm-as-1', 'small-volume-finer'],
  },
  {
    // Stage-2 ROI of the same image: H, W -> 1.0; D 2.5 x 90 = 225 >= 192: not small.
    // Volume 300 x 280 x 225 = 18.9e6 < 1.8^3 x 192^3 = 41.3e6: no cap. Working 300, 280, 2.5 x 90 = 225.
    name: 'stage 2 ROI, two classes: only sub-millimetre as 1.0',
    given: { stage: 2, classes: ['CT_Liver', 'CT_Spleen'], spacing: [0.8, 0.8, 2.5], shape: [300, 280, 90] },
    want: { spacing: [1, 1, 2.5], target: [1, 1, 1], shape: [300, 280, 225] },
    rules: ['submm-as-1'],
  },
  {
    // One class. H, W: 0.8 -> 1.0 (not > 1, so no descend); 512 > 2 x 224 = 448 -> spacing =
    // 448 / 512 = 0.875; working 0.875 / 1.5 x 512 = 298.67 -> 299 (the squeeze has no target factor).
    // D: 5 / 1.2 = 4.1667 >= 3; ratio 1.39 <= 3. Extent 4.1667 x 60 = 250 < 384 -> small:
    // 60 <= 128 / 1.953125 = 65.5, > 128 / 2.441 = 52.4, alpha = 1.953125; target =
    // max(250 / 128 = 1.953, 4.1667 / 1.953125 = 2.1333) = 2.1333; working 1.953125 x 60 = 117.19 -> 117.
    // Separate axis: nominal spacing 0.875 / 0.875 / 4.17: ratio 4.76 > 3
    name: 'stage 1, one class: squeeze to 2 x patch in-plane, descend by 1.2 along D',
    given: { stage: 1, classes: ['CT_Liver'], spacing: [0.8, 0.8, 5.0], shape: [512, 512, 60] },
    want: {
      spacing: [0.875, 0.875, 4.1666665],
      target: [1.5, 1.5, 2.1333333],
      shape: [299, 299, 117],
      separate: 'D',
    },
    rules: ['submm-as-1', 'squeeze-2x-patch', 'single-class-descend', 'small-volume-finer'],
  },
  {
    // Duplicate prompts of one class count as one class (Medal S uses set()): same as above.
    name: 'duplicate class keys collapse to one class',
    given: { stage: 1, classes: ['CT_Liver', 'CT_Liver'], spacing: [0.8, 0.8, 5.0], shape: [512, 512, 60] },
    want: { spacing: [0.875, 0.875, 4.1666665], target: [1.5, 1.5, 2.1333333], shape: [299, 299, 117] },
    rules: ['submm-as-1', 'squeeze-2x-patch', 'single-class-descend', 'small-volume-finer'],
  },
  {
    // D: 5 / 1.2 = 4.1667, ratio 4.17 > 3 -> 3 x 4.1667 / (4.1667 - 0.5) = 12.5 / 3.6667 = 3.40909.
    // Extent 3.409 x 40 = 136.4 < 192 -> small: 40 <= 192 / 1.25^7 = 40.27, alpha = 4.76837;
    // target = max(136.4 / 192 = 0.7102, 3.40909 / 4.76837 = 0.71494) = 0.71494; working 4.768 x 40 = 190.7 -> 191.
    // H, W: 1.0 stays; extent 150 < 192 -> 150 <= 153.6, alpha 1.25; target = max(0.78125, 0.8) = 0.8;
    // working 150 / 0.8 = 187.5 -> 188 (half to even).
    // Separate axis: nominal 1, 1, 3.41: ratio 3.41 > 3
    name: 'stage 2, one class, 5 mm slices: anisotropy compress and small volume',
    given: { stage: 2, classes: ['CT_Liver'], spacing: [1, 1, 5], shape: [150, 150, 40] },
    want: { spacing: [1, 1, 3.409091], target: [0.8, 0.8, 0.7149382], shape: [188, 188, 191], separate: 'D' },
    rules: ['single-class-descend', 'anisotropy-compress', 'small-volume-finer'],
  },
  {
    // Stage 1: D 12 / 1.2 = 10, ratio 3.33 > 3 -> 3 x 10 / 2.8333 = 10.5882. Extent 317.6 < 384:
    // 30 <= 128 / 1.25^6 = 33.6, > 128 / 1.25^7 = 26.8, alpha = 3.8147; target = max(2.4816,
    // 10.5882 / 3.8147 = 2.77564) = 2.77564; working 3.8147 x 30 = 114.4 -> 114.
    // H, W: 0.7 -> 1.0, 400 <= 448, extent 400 >= 336; working 400 / 1.5 = 266.7 -> 267.
    name: 'stage 1, one class, 12 mm slices: compress raises the ratio into 3..3.5',
    given: { stage: 1, classes: ['CT_Liver'], spacing: [0.7, 0.7, 12], shape: [400, 400, 30] },
    want: { spacing: [1, 1, 10.588235], target: [1.5, 1.5, 2.77564225], shape: [267, 267, 114] },
    rules: ['submm-as-1', 'single-class-descend', 'anisotropy-compress', 'small-volume-finer'],
  },
  {
    // PET_Lesion, stage 1: / 1.45. H, W: 4 / 1.45 = 2.7586 >= 1.5, ratio 1.84; working
    // 2.7586 / 1.5 x 200 = 367.8 -> 368. D: max(4 / 1.45 = 2.76, 3) = 3; 300 > 256 -> 256 / 300 =
    // 0.85333; extent 256 < 384 -> small, 300 > 102.4 so alpha = 1; target = max(256 / 128 = 2.0,
    // 0.8533) = 2.0; working 0.8533 / 2 x 300 = 128.
    name: 'PET_Lesion stage 1: spacing / 1.45',
    given: { stage: 1, classes: ['PET_Lesion'], spacing: [4, 4, 4], shape: [200, 200, 300] },
    want: { spacing: [2.7586207, 2.7586207, 0.85333335], target: [1.5, 1.5, 2.0], shape: [368, 368, 128] },
    rules: ['single-class-pet-descend', 'squeeze-2x-patch', 'small-volume-finer'],
  },
  {
    // PET_Lesion, stage 2: / 1.35: 5 / 1.35 = 3.7037, ratio 3.70 > 3 -> 3 x 3.7037 / 3.2037 =
    // 3.46821. Extent 3.468 x 60 = 208.1 >= 192: not small. Working 3.46821 x 60 = 208.09 -> 208.
    name: 'PET_Lesion stage 2: spacing / 1.35 then compress',
    given: { stage: 2, classes: ['PET_Lesion'], spacing: [5, 5, 5], shape: [60, 60, 60] },
    want: { spacing: [3.468208, 3.468208, 3.468208], target: [1, 1, 1], shape: [208, 208, 208] },
    rules: ['single-class-pet-descend', 'anisotropy-compress'],
  },
  {
    // US_Thyroid (1.6x list). All 0.5 -> 1.0. H: 400 > 384 -> the 2x rule wins (first in the elif
    // chain): 384 / 400 = 0.96, working 384. W: 350 <= 384 but > 307.2 -> 307.2 / 350 = 0.877714,
    // working 307.2 -> 307. D: 250 <= 307.2: stays 1.0, working 250.
    name: 'US_Thyroid stage 2: 2x squeeze before the 1.6x squeeze',
    given: { stage: 2, classes: ['US_Thyroid'], spacing: [0.5, 0.5, 0.5], shape: [400, 350, 250] },
    want: { spacing: [0.96, 0.8777143, 1], target: [1, 1, 1], shape: [384, 307, 250] },
    rules: ['submm-as-1', 'squeeze-2x-patch', 'squeeze-1.6x-patch'],
  },
  {
    // US_Thyroid stage 1: H, W 0.5 -> 1.0; 300 <= 358.4 (1.6 x 224): no squeeze; extent 300 < 336
    // -> small, 300 > 179.2 so alpha = 1; target = max(300 / 224 = 1.3393, 1.0) = 1.3393; working
    // 1 / 1.3393 x 300 = 224 (fills the patch). D: 300 > 256 -> 256 / 300 = 0.8533; extent 256 <
    // 384 -> alpha 1, target = max(2.0, 0.8533) = 2.0; working 128.
    name: 'US_Thyroid stage 1: small in-plane extent resampled to fill the patch (alpha 1)',
    given: { stage: 1, classes: ['US_Thyroid'], spacing: [0.5, 0.5, 0.5], shape: [300, 300, 300] },
    want: { spacing: [1, 1, 0.85333335], target: [1.3392857, 1.3392857, 2.0], shape: [224, 224, 128] },
    rules: ['submm-as-1', 'small-volume-finer', 'squeeze-2x-patch'],
  },
  {
    // CT_Airways (in read_npz_data's 1.6x list): 0.7 -> 1.0; 330 <= 384 but > 307.2 ->
    // 307.2 / 330 = 0.930909; working 307.2 -> 307.
    name: 'CT_Airways stage 2: 1.6x squeeze',
    given: { stage: 2, classes: ['CT_Airways'], spacing: [0.7, 0.7, 0.7], shape: [330, 330, 330] },
    want: { spacing: [0.9309091, 0.9309091, 0.9309091], target: [1, 1, 1], shape: [307, 307, 307] },
    rules: ['submm-as-1', 'squeeze-1.6x-patch'],
  },
  {
    // The class exceptions need a single class: with CT_Lung too, no squeeze; volume 330^3 =
    // 35.9e6 < 41.3e6: no cap. Spacing 1.0 everywhere, working 330.
    name: 'CT_Airway Tree with a second class: no 1.6x squeeze',
    given: {
      stage: 2,
      classes: ['CT_Airway Tree', 'CT_Lung'],
      spacing: [0.7, 0.7, 0.7],
      shape: [330, 330, 330],
    },
    want: { spacing: [1, 1, 1], target: [1, 1, 1], shape: [330, 330, 330] },
    rules: ['submm-as-1'],
  },
  {
    // US_Brain tumor (1.2x list): H 250 > 230.4 -> 230.4 / 250 = 0.9216, working 230.4 -> 230.
    // W 200 <= 230.4, extent 200 >= 192: unchanged. D 150: extent 150 < 192 -> 150 <= 153.6,
    // alpha 1.25; target max(0.78125, 0.8) = 0.8; working 187.5 -> 188.
    name: 'US_Brain tumor stage 2: 1.2x squeeze',
    given: { stage: 2, classes: ['US_Brain tumor'], spacing: [1, 1, 1], shape: [250, 200, 150] },
    want: { spacing: [0.9216, 1, 1], target: [1, 1, 0.8], shape: [230, 200, 188] },
    rules: ['squeeze-1.2x-patch', 'small-volume-finer'],
  },
  {
    // Microscopy_Mitochondria: every axis 1.0 whatever the header (8, 8, 30). 300 <= 384,
    // extents 300 / 200 >= 192: working 300, 300, 200.
    name: 'Microscopy_Mitochondria: spacing 1.0 on every axis',
    given: { stage: 2, classes: ['Microscopy_Mitochondria'], spacing: [8, 8, 30], shape: [300, 300, 200] },
    want: { spacing: [1, 1, 1], target: [1, 1, 1], shape: [300, 300, 200] },
    rules: ['class-spacing-1'],
  },
  {
    // Microscopy_Endolysosomes stage 2: 5 -> 1.0; extent 100 < 192 -> 100 <= 192 / 1.5625 =
    // 122.9, > 192 / 1.953 = 98.3, alpha 1.5625; target = max(0.5208, 1 / 1.5625 = 0.64) = 0.64;
    // then spacing x 1.1 = 1.1; working 1.1 / 0.64 x 100 = 171.9 -> 172.
    name: 'Microscopy_Endolysosomes stage 2: spacing 1.0 then x 1.1',
    given: { stage: 2, classes: ['Microscopy_Endolysosomes'], spacing: [5, 5, 5], shape: [100, 100, 100] },
    want: { spacing: [1.1, 1.1, 1.1], target: [0.64, 0.64, 0.64], shape: [172, 172, 172] },
    rules: ['class-spacing-1', 'small-volume-finer', 'endolysosomes-1.1'],
  },
  {
    // Same class in stage 1: no x 1.1. H, W: extent 100 < 336 -> 100 <= 224 / 1.953 = 114.7,
    // > 224 / 2.441 = 91.8, alpha 1.953125; target = max(0.4464, 0.512) = 0.512; working
    // 100 / 0.512 = 195.3 -> 195. D: 100 < 384 -> alpha 1.25, target max(0.78125, 0.8) = 0.8; 125.
    name: 'Microscopy_Endolysosomes stage 1: no x 1.1',
    given: { stage: 1, classes: ['Microscopy_Endolysosomes'], spacing: [5, 5, 5], shape: [100, 100, 100] },
    want: { spacing: [1, 1, 1], target: [0.512, 0.512, 0.8], shape: [195, 195, 125] },
    rules: ['class-spacing-1', 'small-volume-finer'],
  },
  {
    // H, W: extent 2 x 600 = 1200 > 1000 and 2 > 1.5 -> spacing = target 1.5. D: extent 200 < 384:
    // 50 <= 128 / 2.441 = 52.4, > 41.9, alpha 2.44140625; target = max(1.5625, 4 / 2.4414 =
    // 1.6384) = 1.6384; working 2.4414 x 50 = 122.07 -> 122. Cap: 900 x 900 x 200 = 162e6 > 37.5e6;
    // H extent 1.5 x 600 = 900 > 638.4 and 1.5 is not above 1.5 -> min(1.5, 638.4 / 600 = 1.064);
    // working 1.064 / 1.5 x 600 = 425.6 -> 426. D 200 < 1.9 x 128 x 1.6384 = 398.5: kept.
    name: 'stage 1, two MRI classes: extent cap to target, then the 1.9x multi-class cap',
    given: { stage: 1, classes: ['MRI_Liver', 'MRI_Spleen'], spacing: [2, 2, 4], shape: [600, 600, 50] },
    want: { spacing: [1.064, 1.064, 4], target: [1.5, 1.5, 1.6384], shape: [426, 426, 122] },
    rules: ['extent-cap-target', 'small-volume-finer', 'multi-class-cap-1.9x'],
  },
  {
    // D: 10 / 1.2 = 8.333, ratio 2.78; extent 8.333 x 90 = 750 > 700 and 8.33 > 3 -> spacing 3:
    // D is not resampled (working 90). H, W: 1.0; extent 100 < 336 -> alpha 1.953125, target 0.512,
    // working 195.
    // Separate axis: nominal 1, 1, 3 is not > 3; the target 0.512, 0.512, 3 is (5.9)
    name: 'stage 1, one class: D extent over 700 mm keeps the target spacing',
    given: { stage: 1, classes: ['CT_Liver'], spacing: [1, 1, 10], shape: [100, 100, 90] },
    want: { spacing: [1, 1, 3], target: [0.512, 0.512, 3], shape: [195, 195, 90], separate: 'D' },
    rules: ['small-volume-finer', 'single-class-descend', 'extent-cap-target'],
  },
  {
    // Several classes, spacing above target: volume 900 x 900 x 600 = 486e6 > 37.5e6; H extent 900
    // > 638.4 and 3 > 1.5 -> max(1.5, 638.4 / 300 / 1.1 = 1.93455); working 1.93455 / 1.5 x 300 =
    // 386.9 -> 387. D: 600 < 1.9 x 128 x 3 = 729.6: kept, working 200.
    name: 'stage 1, two classes, 3 mm voxels: 1.9x cap from above (divided by 1.1)',
    given: { stage: 1, classes: ['CT_Liver', 'CT_Spleen'], spacing: [3, 3, 3], shape: [300, 300, 200] },
    want: { spacing: [1.9345454, 1.9345454, 3], target: [1.5, 1.5, 3], shape: [387, 387, 200] },
    rules: ['multi-class-cap-1.9x'],
  },
  {
    // 0.3 mm within max dims reads as 1.0 (so the 0.4 mm thin-coarsen rule never fires); volume
    // 500^3 = 125e6 > 41.3e6; extent 500 > 364.8 and 1.0 is not above 1 -> min(1, 364.8 / 500 =
    // 0.7296); working 364.8 -> 365.
    name: 'stage 2, two classes, 0.3 mm within max dims: 1.0 then 1.9x cap',
    given: {
      stage: 2,
      classes: ['MRI_Liver', 'MRI_Spleen'],
      spacing: [0.3, 0.3, 0.3],
      shape: [500, 500, 500],
    },
    want: { spacing: [0.7296, 0.7296, 0.7296], target: [1, 1, 1], shape: [365, 365, 365] },
    rules: ['submm-as-1', 'multi-class-cap-1.9x'],
  },
  {
    // Beyond max dims (1200 > 1000, 800 > 700) 0.3 mm stays 0.3 (true spacing); thin-coarsen
    // needs shape <= max dims; volume 360 x 360 x 240 = 31.1e6 < 41.3e6: no cap.
    // Working 0.3 x 1200 = 360, 0.3 x 800 = 240.
    name: 'stage 2, 0.3 mm beyond max dims: resampled to the 1 mm target',
    given: {
      stage: 2,
      classes: ['MRI_Liver', 'MRI_Spleen'],
      spacing: [0.3, 0.3, 0.3],
      shape: [1200, 1200, 800],
    },
    want: { spacing: [0.3, 0.3, 0.3], target: [1, 1, 1], shape: [360, 360, 240] },
    rules: [],
  },
  {
    // Nothing fires: 1 mm, within 2x patch, extents >= 192. Working = shape.
    name: 'stage 2, one class, 1 mm: no rule',
    given: { stage: 2, classes: ['CT_Liver'], spacing: [1, 1, 1], shape: [200, 200, 200] },
    want: { spacing: [1, 1, 1], target: [1, 1, 1], shape: [200, 200, 200] },
    rules: [],
  },
  {
    // Round half to even: 1.5 x 203 = 304.5 -> 304 (Python), not 305. Volume 304.5^3 = 28.2e6 < 41.3e6.
    name: 'working shape rounds half to even like Python',
    given: { stage: 2, classes: ['CT_Liver', 'CT_Spleen'], spacing: [1.5, 1.5, 1.5], shape: [203, 203, 203] },
    want: { spacing: [1.5, 1.5, 1.5], target: [1, 1, 1], shape: [304, 304, 304] },
    rules: [],
  },
  {
    // D: extent 2 x 120 = 240 < 384 -> 120 > 102.4, alpha 1; target = max(240 / 128 = 1.875, 2 / 1)
    // = 2.0; working 120 (unchanged). Volume 400 x 400 x 240 = 38.4e6 > 37.5e6 but no axis over
    // 1.9 x patch x target (638.4 in-plane, 486.4 along D). H: 400 / 1.5 = 266.7 -> 267.
    name: 'stage 1, two classes: small D with alpha 1 keeps its spacing as target',
    given: { stage: 1, classes: ['CT_Liver', 'CT_Spleen'], spacing: [1, 1, 2], shape: [400, 400, 120] },
    want: { spacing: [1, 1, 2], target: [1.5, 1.5, 2], shape: [267, 267, 120] },
    rules: ['small-volume-finer'],
  },
];

function plan({ given }: Case) {
  const d = MEDALS_STAGE_DEFAULTS[given.stage];
  return planSpacing({
    imageSpacing: given.spacing,
    shape: given.shape,
    stage: given.stage,
    classKeys: given.classes,
    patch: d.patch,
    targetSpacing: d.targetSpacing,
  });
}

describe('planSpacing (hand-computed cases)', () => {
  it('has at least 20 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(20));

  it.each(CASES)('$name', (c) => {
    const { given, want } = c;
    const p = plan(c);
    for (let a = 0; a < 3; a++) {
      expect(p.spacing[a], `spacing ${a}`).toBeCloseTo(want.spacing[a], 5);
      expect(p.targetSpacing[a], `target ${a}`).toBeCloseTo(want.target[a], 5);
    }
    expect(p.workingShape).toEqual(want.shape);
    expect([...p.ruleNames].sort()).toEqual([...c.rules].sort());
    if (want.separate !== undefined) expect(p.separateAxis).toBe(want.separate);
    // The working grid keeps the physical extent; it is padded up to the patch.
    for (let a = 0; a < 3; a++) {
      expect(p.workingSpacing[a] * p.workingShape[a]).toBeCloseTo(given.spacing[a] * given.shape[a], 9);
      expect(p.paddedShape[a]).toBe(Math.max(p.workingShape[a], MEDALS_STAGE_DEFAULTS[given.stage].patch[a]));
    }
    expect(p.axisOrder).toBe('HWD');
    expect(p.summary).toContain(`Stage ${given.stage}`);
    for (const r of p.rules) expect(r.source).toMatch(/^inference\.py L\d+/);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it.each(SQUEEZE_1_6_CLASSES)('1.6x squeeze for %s (stage 2, 330 voxels of 1 mm)', (key) => {
    // 330 > 1.6 x 192 = 307.2 -> 307.2 / 330 = 0.930909 -> working 307.
    const p = planSpacing({
      imageSpacing: [1, 1, 1],
      shape: [330, 330, 330],
      stage: 2,
      classKeys: [key],
      ...MEDALS_STAGE_DEFAULTS[2],
    });
    expect(p.spacing[0]).toBeCloseTo(0.9309091, 6);
    expect(p.workingShape).toEqual([307, 307, 307]);
  });

  it('records what each rule changed, with a readable reason', () => {
    const p = plan(CASES[0]);
    const h = p.rules.find((r) => r.rule === 'submm-as-1' && r.axis === 'H');
    expect(h).toMatchObject({
      field: 'spacing',
      from: Math.fround(0.8),
      to: 1,
      source: 'inference.py L417-418',
    });
    const d = p.rules.find((r) => r.rule === 'small-volume-finer');
    expect(d).toMatchObject({ axis: 'D', field: 'targetSpacing', from: 3, to: 2 });
    expect(d?.reason).toMatch(/extent 250 < patch x target 384/);
  });

  it('uses the patch and target it is given (manifest), not the defaults', () => {
    // Patch 96^3 at 2 mm, one class, 1 mm: 300 > 192 -> spacing 192 / 300 = 0.64;
    // working 0.64 / 2 x 300 = 96. Extent 192 >= 96 x 2 = 192: not small.
    const p = planSpacing({
      imageSpacing: [1, 1, 1],
      shape: [300, 300, 300],
      stage: 2,
      classKeys: ['CT_Liver'],
      patch: [96, 96, 96],
      targetSpacing: [2, 2, 2],
    });
    expect(p.spacing[0]).toBeCloseTo(0.64, 6);
    expect(p.workingShape).toEqual([96, 96, 96]);
  });

  it('refuses bad input with INVALID_INPUT', () => {
    const good = { imageSpacing: [1, 1, 1] as Hwd, shape: [10, 10, 10] as Hwd, stage: 1 as Stage };
    const base = { ...good, classKeys: ['CT_Liver'], ...MEDALS_STAGE_DEFAULTS[1] };
    expect(() => planSpacing({ ...base, imageSpacing: [0, 1, 1] })).toThrow(/INVALID_INPUT|imageSpacing/);
    expect(() => planSpacing({ ...base, imageSpacing: [NaN, 1, 1] })).toThrow(/imageSpacing/);
    expect(() => planSpacing({ ...base, shape: [10.5, 10, 10] })).toThrow(/shape/);
    expect(() => planSpacing({ ...base, classKeys: [] })).toThrow(/classKeys/);
    expect(() => planSpacing({ ...base, stage: 3 as Stage })).toThrow(/stage/);
    try {
      planSpacing({ ...base, patch: [0, 1, 1] });
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe('INVALID_INPUT');
    }
  });
});

describe('planStage2RoiSpacing (main, L970-1030)', () => {
  const base = {
    imageSpacing: [0.7, 0.7, 0.7] as Hwd,
    shape: [330, 330, 330] as Hwd,
    ...MEDALS_STAGE_DEFAULTS[2],
  };

  it('leaves CT_Airways out of the 1.6x list', () => {
    // 0.7 -> 1.0; no squeeze; min half range (192 / 2) x 1 / 1 - 1 = 95.
    const p = planStage2RoiSpacing({ ...base, classKeys: ['CT_Airways'] });
    expect(p.spacing).toEqual([1, 1, 1]);
    expect(p.minHalfRange).toEqual([95, 95, 95]);
  });

  it('squeezes CT_Airway Tree by 1.6x', () => {
    // 307.2 / 330 = 0.930909; min half range 96 / 0.930909 - 1 = 103.125 - 1 = 102.125.
    const p = planStage2RoiSpacing({ ...base, classKeys: ['CT_Airway Tree'] });
    expect(p.spacing[0]).toBeCloseTo(0.9309091, 6);
    expect(p.minHalfRange[0]).toBeCloseTo(102.125, 4);
  });

  it('has no small-volume rule', () => {
    // 100 voxels of 1 mm: planSpacing lowers the target; main's ROI copy leaves spacing 1.0.
    const p = planStage2RoiSpacing({
      ...base,
      imageSpacing: [1, 1, 1],
      shape: [100, 100, 100],
      classKeys: ['CT_Liver'],
    });
    expect(p.rules).toEqual([]);
    expect(p.minHalfRange).toEqual([95, 95, 95]);
  });
});

describe('axis helpers', () => {
  it('swaps x and y between ITK and model order', () => {
    expect(hwdFromXyz([0.7, 0.8, 2.5])).toEqual([0.8, 0.7, 2.5]);
    expect(xyzFromHwd(hwdFromXyz([1, 2, 3]))).toEqual([1, 2, 3]);
  });

  it('rounds half to even like Python', () => {
    expect([0.5, 1.5, 2.5, 304.5, 305.5, 2.4, 2.6, 7].map(roundHalfEven)).toEqual([
      0, 2, 2, 304, 306, 2, 3, 7,
    ]);
  });
});

describe('readNpzSpacing (inference.py L843-852, L49-59)', () => {
  it('reads (x, y, z) with z on D and keeps a consistent spacing', () => {
    // (D, H, W) = (s2, s0, s1) = (2.5, 0.8, 0.8); fewest voxels D, largest spacing D: no swap.
    const r = readNpzSpacing([0.8, 0.8, 2.5], [100, 512, 512]);
    expect(r.dhw).toEqual([2.5, Math.fround(0.8), Math.fround(0.8)]);
    expect(r.hwd).toEqual([Math.fround(0.8), Math.fround(0.8), 2.5]);
    expect(r.decision).toMatchObject({
      swapped: false,
      minShapeAxis: 'D',
      maxSpacingAxis: 'D',
      tinyReplaced: [],
    });
  });

  it('swaps the largest spacing onto the axis with fewest voxels', () => {
    // (D, H, W) = (0.8, 0.8, 2.5); fewest voxels D (100), largest spacing W (2.5 > 0.5): swap D, W
    // -> (2.5, 0.8, 0.8); model order (H, W, D) = (0.8, 0.8, 2.5).
    const r = readNpzSpacing([0.8, 2.5, 0.8], [100, 512, 512]);
    expect(r.dhw).toEqual([2.5, Math.fround(0.8), Math.fround(0.8)]);
    expect(r.hwd).toEqual([Math.fround(0.8), Math.fround(0.8), 2.5]);
    expect(r.decision.swapped).toBe(true);
    expect(r.decision.swappedAxes).toEqual(['D', 'W']);
    expect(r.decision.reason).toMatch(/swapped/);
  });

  it('does not swap when the largest spacing is 0.5 or less', () => {
    // (D, H, W) = (0.5, 0.3, 0.3); fewest voxels H (80), largest spacing D = 0.5, not > 0.5.
    const r = readNpzSpacing([0.3, 0.3, 0.5], [512, 80, 512]);
    expect(r.decision).toMatchObject({ swapped: false, minShapeAxis: 'H', maxSpacingAxis: 'D' });
    expect(r.dhw).toEqual([0.5, Math.fround(0.3), Math.fround(0.3)]);
    expect(r.decision.reason).toMatch(/not above 0.5/);
  });

  it('turns spacings below 0.1 into 1.0 before the swap test', () => {
    // All 0.05 -> 1.0. Ties: argmax picks D (first), argmin of (50, 300, 300) is D: no swap.
    const r = readNpzSpacing([0.05, 0.05, 0.05], [50, 300, 300]);
    expect(r.dhw).toEqual([1, 1, 1]);
    expect(r.decision.tinyReplaced).toEqual(['D', 'H', 'W']);
    expect(r.decision.swapped).toBe(false);
  });

  it('follows numpy first-index ties (may swap equal values)', () => {
    // (D, H, W) = (1, 1, 1) after the 0.1 rule on H, W; argmax = D, argmin of (300, 40, 300) = H,
    // 1.0 > 0.5: swap D and H (values equal, the decision is recorded anyway).
    const r = readNpzSpacing([0.05, 0.05, 1.0], [300, 40, 300]);
    expect(r.dhw).toEqual([1, 1, 1]);
    expect(r.decision).toMatchObject({ swapped: true, swappedAxes: ['H', 'D'], tinyReplaced: ['H', 'W'] });
  });

  it('gives (H, W) the stored (x, y) entries', () => {
    // (D, H, W) = (3, 0.7, 0.9); fewest voxels D, largest spacing D: no swap; H = s0, W = s1.
    const r = readNpzSpacing([0.7, 0.9, 3], [60, 400, 400]);
    expect(r.hwd).toEqual([Math.fround(0.7), Math.fround(0.9), 3]);
  });

  it('refuses zero, negative, NaN, wrong length and non-3D shapes', () => {
    expect(() => readNpzSpacing([0, 1, 1], [10, 10, 10])).toThrow(/positive finite/);
    expect(() => readNpzSpacing([-1, 1, 1], [10, 10, 10])).toThrow(/positive finite/);
    expect(() => readNpzSpacing([NaN, 1, 1], [10, 10, 10])).toThrow(/positive finite/);
    expect(() => readNpzSpacing([1, 1], [10, 10, 10])).toThrow(/positive finite/);
    expect(() => readNpzSpacing([1, 1, 1], [10, 10])).toThrow(/3D/);
  });
});
