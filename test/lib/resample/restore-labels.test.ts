/**
 * restoreLabels (functions/lib/resample/restore-labels.ts): a working-grid label map brought
 * back onto the input grid, on physical points or, for a grid spanning a box of input voxels, as
 * Medal S's resample_torch_simple does (oracle: test/helpers/official-respace.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  resampleImageToGrid,
  resampleLabels,
  workingGeometry,
} from '../../../functions/lib/resample/resample.js';
import { Volume, boxGeometry, crop } from '../../../functions/lib/geometry/volume.js';
import { generatePhantom } from '../../../functions/tools/phantom/phantom.js';
import { narrowLabels, restoreLabels, spannedBox } from '../../../functions/lib/resample/restore-labels.js';
import { official } from '../../helpers/official-respace.js';
import { dice } from '../../helpers/dice.js';

const phantom = generatePhantom({ size: [48, 48, 20], spacing: [0.8, 0.8, 2.5], seed: 6 });

describe('restore', () => {
  it('puts a working-grid label map back on exactly the input grid', () => {
    const input = phantom.labels.geometry;
    const working = resampleLabels(phantom.labels, workingGeometry(input, [60, 60, 34]));
    const restored = restoreLabels(working, input);
    expect(restored.geometry).toEqual(input);
    expect(restored.type).toBe('uint8');
    for (let value = 1; value <= 6; value++) {
      expect(dice(restored.data, phantom.labels.data, value), `label ${value}`).toBeGreaterThan(0.9);
    }
  });

  it('resamples onto a box of the image grid exactly what the whole grid has there', async () => {
    // Restore resamples the max-probability map onto the improved classes' box only.
    const g = phantom.image.geometry;
    const shape: [number, number, number] = [30, 30, 16];
    const coarse = workingGeometry(g, shape);
    const values = Float32Array.from({ length: 30 * 30 * 16 }, (_, i) => Math.sin(i / 7) * 0.5 + 0.5);
    const map = new Volume<'float32'>(coarse, values);
    const whole = await resampleImageToGrid(map, g);
    for (const box of [
      { min: [5, 7, 3], max: [30, 40, 15] },
      { min: [0, 0, 0], max: [47, 47, 19] },
      { min: [47, 0, 19], max: [47, 3, 19] },
    ] as { min: [number, number, number]; max: [number, number, number] }[]) {
      const part = await resampleImageToGrid(map, boxGeometry(g, box));
      expect(part.geometry).toEqual(crop(whole, box).geometry);
      const expected = crop(whole, box).data;
      let worst = 0;
      for (let i = 0; i < expected.length; i++)
        worst = Math.max(worst, Math.abs(part.data[i]! - expected[i]!));
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('keeps voxels on the same grid, and writes int16 when labels exceed 255', () => {
    const wide = new Volume<'int32'>(
      phantom.labels.geometry,
      Int32Array.from(phantom.labels.data, (v) => (v ? v + 300 : 0)),
    );
    const restored = restoreLabels(wide, phantom.labels.geometry);
    expect(restored.type).toBe('int16');
    expect(Array.from(restored.data)).toEqual(Array.from(wide.data));
    const negative = new Volume<'int32'>(
      phantom.labels.geometry,
      new Int32Array(phantom.labels.data.length).fill(-1),
    );
    expect(() => restoreLabels(negative, phantom.labels.geometry)).toThrow(/do not fit int16/);
  });
});

describe('restore of a stage grid spanning a box of the input, as Medal S brings labels back', () => {
  it('respaces into the box (float16 one-hot, trilinear) and pastes it into background', () => {
    // A 4011 x 2 x 2 input; stage 2's ROI spans x 5..4005 (4001 voxels) and its working grid has
    // 3 x 1 x 1 voxels holding [7, 2, 7]. The official resizes that to the ROI's 4001 x 2 x 2
    // voxels with resample_torch_simple(is_seg=True) (re-derived in
    // test/helpers/official-respace.ts) and pastes it into zeros: at x = 1333 and 2667 of the ROI
    // the one-hot weights tie in float16 and 2 wins, where the float64 vote on physical points
    // (the old restore) gives 7.
    const input = { ...generatePhantom().image.geometry, size: [4011, 2, 2] as [number, number, number] };
    const box = { min: [5, 0, 0] as [number, number, number], max: [4005, 1, 1] as [number, number, number] };
    const working = workingGeometry(boxGeometry(input, box), [3, 1, 1]);
    const labels = Volume.zeros('int32', working);
    labels.data.set([7, 2, 7]);
    expect(spannedBox(working, input)).toEqual(box);
    const restored = restoreLabels(labels, input);
    const inBox = official(labels, [4001, 2, 2], null);
    const want = new Array(4011 * 2 * 2).fill(0);
    for (let zy = 0; zy < 4; zy++)
      for (let x = 0; x < 4001; x++) want[zy * 4011 + x + 5] = inBox[zy * 4001 + x];
    expect(Array.from(restored.data)).toEqual(want);
    expect([restored.data[1338], restored.data[2672]]).toEqual([2, 2]);
    expect(restored.geometry).toEqual(input);
    const float64 = resampleLabels(labels, input);
    expect([float64.data[1338], float64.data[2672]]).toEqual([7, 7]);
    // A grid that does not span whole input voxels is resampled on physical points instead.
    const shifted = { ...working, origin: working.origin.map((o) => o + 0.1) as typeof working.origin };
    expect(spannedBox(shifted, input)).toBeNull();
  });
});

describe('narrowLabels', () => {
  it('keeps the values in the smallest type that holds them, and wider maps as they are', () => {
    const g = {
      size: [2, 2, 1] as [number, number, number],
      spacing: [1, 1, 1] as [number, number, number],
      origin: [0, 0, 0] as [number, number, number],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ],
    };
    const cases: [number[], string][] = [
      [[0, 1, 255, 7], 'uint8'],
      [[0, 256, 32767, 1], 'int16'],
      [[0, 32768, 1, 2], 'int32'],
      [[0, -1, 1, 2], 'int32'],
    ];
    for (const [values, type] of cases) {
      const narrowed = narrowLabels(new Volume(g, Int32Array.from(values)));
      expect(narrowed.type, values.join(',')).toBe(type);
      expect(Array.from(narrowed.data)).toEqual(values);
      expect(narrowed.geometry).toEqual(g);
    }
  });
});
