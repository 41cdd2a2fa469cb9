/**
 * Merging the CT window passes by label value (functions/steps/segment/window-passes.ts), against
 * a brute-force statement of the rule over all passes at once; and preprocess.json's pass lists,
 * which must agree in length.
 */
import { describe, expect, it } from 'vitest';
import { parseRecord } from '../../../functions/lib/case/records.js';
import { preprocessRecordSchema } from '../../../functions/steps/preprocess/record.js';
import { mergeByLabel } from '../../../functions/steps/segment/window-passes.js';
import { prng } from '../../helpers/prng.js';

/** The rule over all passes at once: the labelled pass of highest probability, the earliest on ties. */
function oracle(labels: number[][], probability: number[][], i: number): { label: number; p: number } {
  let best = -1;
  for (let k = 0; k < labels.length; k++)
    if (labels[k][i] !== 0 && (best < 0 || probability[k][i] > probability[best][i])) best = k;
  if (best >= 0) return { label: labels[best][i], p: probability[best][i] };
  return { label: 0, p: Math.max(0, ...probability.map((q) => q[i])) };
}

describe('mergeByLabel', () => {
  it('keeps, per voxel, the label of the most probable pass (earliest on ties), else the highest probability', () => {
    const random = prng(17);
    const n = 4000;
    for (const passes of [1, 2, 3]) {
      // Few distinct probabilities, so that ties happen.
      const labels = Array.from({ length: passes }, (_, k) =>
        Array.from({ length: n }, () => (random() < 0.5 ? 0 : 10 * (k + 1) + Math.floor(random() * 3))),
      );
      const probability = Array.from({ length: passes }, () =>
        Array.from({ length: n }, () => Math.fround(Math.floor(random() * 5) / 4)),
      );
      const merged = new Int32Array(n);
      const mergedP = new Float32Array(n);
      for (let k = 0; k < passes; k++) mergeByLabel(merged, mergedP, labels[k], probability[k]);
      for (let i = 0; i < n; i++) {
        const want = oracle(labels, probability, i);
        if (merged[i] !== want.label || mergedP[i] !== want.p)
          expect([i, merged[i], mergedP[i]]).toEqual([i, want.label, want.p]);
      }
    }
  });

  it('without probabilities (stage-1 maps) the earlier pass keeps a voxel', () => {
    const merged = new Int32Array(4);
    mergeByLabel(merged, null, [0, 1, 1, 0], null);
    mergeByLabel(merged, null, [2, 2, 0, 0], null);
    expect(Array.from(merged)).toEqual([2, 1, 1, 0]);
    expect(() => mergeByLabel(merged, null, [1, 2], null)).toThrow(/2 labels for a map of 4 voxels/);
  });
});

describe('preprocess.json passes', () => {
  it('refuses pass lists that disagree with the intensity passes', () => {
    const pass = (group: string, values: number[]) => ({
      method: 'ct-window',
      modality: 'CT',
      description: 'd',
      formula: 'f',
      input: { min: -1000, max: 1000 },
      low: -160,
      high: 240,
      output: { min: 0, max: 255 },
      group,
      source: 'tissue-group',
      values,
    });
    const geometry = {
      size: [2, 2, 2],
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    };
    const record = {
      input: { format: 'itk', kind: 'nifti', geometry, range: { min: -1000, max: 1000 } },
      modality: { modality: 'CT', source: 'image' },
      prompts: [1, 2].map((value) => ({
        value,
        name: 'n',
        sentence: 's',
        classKey: 'CT_n',
        modality: 'CT',
        improved: false,
      })),
      instance: false,
      intensity: [pass('soft-tissue', [1]), pass('lung', [2])],
      stage1: { plan: {}, geometry },
      passes: [{ stage1: { plan: {}, geometry } }],
      model: { dir: 'm', name: 'm' },
      files: { scaled: 'a', stage1: 'b', passes: [{ scaled: 'c', stage1: 'd' }] },
      timings: { preprocessSeconds: 1 },
    };
    expect(parseRecord(preprocessRecordSchema, record, 'preprocess.json').intensity).toHaveLength(2);
    expect(() => parseRecord(preprocessRecordSchema, { ...record, passes: [] }, 'preprocess.json')).toThrow(
      /passes: 2 intensity passes need 1 entries in passes and in files\.passes/,
    );
    const { files } = record;
    expect(() =>
      parseRecord(
        preprocessRecordSchema,
        { ...record, files: { ...files, passes: undefined } },
        'preprocess.json',
      ),
    ).toThrow(/passes: /);
  });
});
