/**
 * The Medal S policy module as data: the spacing rule table is well formed (every rule once,
 * each with an official source, chains as the official if/elif), the stage and output rules
 * decide as the official main() does, and the improved-classes parameters the restore step
 * passes are the native addon's defaults, so neither can drift from the other unnoticed.
 */
import { describe, expect, it } from 'vitest';
import { MEDAL_S_PROBABLE_RULE } from '../../../native/index.js';
import {
  IMPROVED_CLASSES_LIMIT,
  IMPROVED_CLASSES_RULE,
  NO_ITERATION_CLASSES,
  ROI_GROWTH_1_5_CLASSES,
  SELF_REFINEMENT,
  SMALL_VOLUME_ALPHAS,
  SPACING_RULES,
  STAGE1_ONLY_CLASSES,
  STAGE1_SMALL_COMPONENTS,
  STAGE2_NO_ITERATION_CLASSES,
  STAGE2_ONLY_CLASSES,
  type SpacingRule,
  extraRounds,
  growRoi,
  improvedClassesApply,
  officialSkip,
  roiGrowth,
} from '../../../functions/lib/medal-s/index.js';

const ALL_RULES: SpacingRule[] = [
  'class-spacing-1',
  'submm-as-1',
  'single-class-descend',
  'single-class-pet-descend',
  'anisotropy-compress',
  'squeeze-2x-patch',
  'squeeze-1.6x-patch',
  'squeeze-1.2x-patch',
  'thin-coarsen',
  'extent-cap-target',
  'small-volume-finer',
  'endolysosomes-1.1',
  'multi-class-cap-1.9x',
];

describe('spacing rule table', () => {
  it('has every rule exactly once, each with an inference.py source line', () => {
    const ids = SPACING_RULES.map((r) => r.id);
    expect([...ids].sort()).toEqual([...ALL_RULES].sort());
    for (const r of SPACING_RULES) expect(r.source, r.id).toMatch(/^inference\.py L\d+/);
  });

  it('keeps the official order: the axis loop first, the multi-class cap last', () => {
    const phases = SPACING_RULES.map((r) => r.phase);
    expect(phases.slice(0, -1).every((p) => p === 'axis')).toBe(true);
    expect(SPACING_RULES.at(-1)).toMatchObject({ id: 'multi-class-cap-1.9x', phase: 'cap' });
  });

  it('groups the if/elif chains as the official code does, each chain contiguous', () => {
    const chains = new Map<string, SpacingRule[]>();
    SPACING_RULES.forEach((r) => r.chain && chains.set(r.chain, [...(chains.get(r.chain) ?? []), r.id]));
    expect(Object.fromEntries(chains)).toEqual({
      descend: ['single-class-pet-descend', 'single-class-descend'],
      squeeze: ['squeeze-2x-patch', 'squeeze-1.6x-patch', 'squeeze-1.2x-patch', 'thin-coarsen'],
      extent: ['extent-cap-target', 'small-volume-finer'],
    });
    for (const members of chains.values()) {
      const at = members.map((id) => SPACING_RULES.findIndex((r) => r.id === id));
      expect(at).toEqual(at.map((_, k) => at[0] + k));
    }
  });

  it('runs anisotropy-compress only after a descend, small-volume-finer only in read_npz_data', () => {
    const rule = (id: SpacingRule) => SPACING_RULES.find((r) => r.id === id)!;
    expect(rule('anisotropy-compress').after).toEqual(['single-class-pet-descend', 'single-class-descend']);
    expect(rule('small-volume-finer')).toMatchObject({ field: 'targetSpacing', variants: ['read_npz_data'] });
  });

  it('builds the small-volume alphas 1.25^k <= 50 by repeated multiplication (L406-410)', () => {
    expect(SMALL_VOLUME_ALPHAS).toHaveLength(17);
    expect(SMALL_VOLUME_ALPHAS[0]).toBe(1.25);
    expect(SMALL_VOLUME_ALPHAS.at(-1)!).toBeLessThanOrEqual(50);
    expect(SMALL_VOLUME_ALPHAS.at(-1)! * 1.25).toBeGreaterThan(50);
  });
});

describe('stage rules', () => {
  it('skips stage 2 for stage-1-only classes first, else stage 1 for stage-2-only classes', () => {
    expect(officialSkip(['CT_Liver'])).toBeNull();
    for (const k of STAGE1_ONLY_CLASSES) expect(officialSkip(['CT_Liver', k])?.stage).toBe(2);
    for (const k of STAGE2_ONLY_CLASSES) expect(officialSkip([k])?.stage).toBe(1);
    expect(officialSkip([STAGE2_ONLY_CLASSES[0], STAGE1_ONLY_CLASSES[0]])?.stage).toBe(2);
  });

  it('gives instance tasks one extra round unless a no-iteration class is prompted', () => {
    expect(extraRounds(1, false, ['CT_Liver tumors'])).toBe(0);
    expect(extraRounds(1, true, ['CT_Liver tumors'])).toBe(1);
    expect(extraRounds(2, true, ['CT_Liver tumors'])).toBe(1);
    for (const k of NO_ITERATION_CLASSES) {
      expect(extraRounds(1, true, [k])).toBe(0);
      expect(extraRounds(2, true, [k])).toBe(0);
    }
    for (const k of STAGE2_NO_ITERATION_CLASSES) {
      expect(extraRounds(1, true, [k])).toBe(1);
      expect(extraRounds(2, true, [k])).toBe(0);
    }
    expect(SELF_REFINEMENT).toMatchObject({ blockSize: 8, extraBlockSize: 4 });
    expect(STAGE1_SMALL_COMPONENTS).toMatchObject({ minSize: 10, connectivity: 6 });
  });

  it('grows the ROI by 1.5 for airway trees, else 1.1, truncated and clipped', () => {
    expect(roiGrowth(['CT_Liver'])).toBe(1.1);
    for (const k of ROI_GROWTH_1_5_CLASSES) expect(roiGrowth(['CT_Liver', k])).toBe(1.5);
    // x: centre 14.5, half range 10 x 1.1 / 2 = 5.5, so 9..20. y: the minimum half range 7.9
    // wins, 6.6..22.4 truncates to 6..22. z: centre 14, half range 15.95, -1.95..29.95 clipped to
    // the 29 slices, 0..28.
    const box = growRoi({ min: [10, 10, 0], max: [19, 19, 28] }, [40, 40, 29], 1.1, [0, 7.9, 0]);
    expect(box).toEqual({ min: [9, 6, 0], max: [20, 22, 28] });
  });
});

describe('output rules', () => {
  it('passes the native defaults as the improved-classes parameters, in the same order', () => {
    expect(IMPROVED_CLASSES_RULE).toEqual(MEDAL_S_PROBABLE_RULE);
    expect(Object.keys(IMPROVED_CLASSES_RULE)).toEqual(Object.keys(MEDAL_S_PROBABLE_RULE));
  });

  it('applies the improved-classes rule below 650 x 650 x 100 voxels only', () => {
    expect(IMPROVED_CLASSES_LIMIT.maxVoxelsExclusive).toBe(650 * 650 * 100);
    expect(improvedClassesApply([650, 650, 99])).toBe(true);
    expect(improvedClassesApply([650, 650, 100])).toBe(false);
  });
});
