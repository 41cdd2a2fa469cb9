import { describe, expect, it } from 'vitest';
import { Volume, crop } from '../../../functions/lib/geometry/volume.js';
import { improvedClassesBox, postprocessLabels } from '../../../functions/steps/restore/postprocess.js';
import { IMPROVED_CLASSES_LIMIT } from '../../../functions/lib/medal-s/index.js';
import { components6 } from '../../helpers/components.js';
import { geometry } from '../../helpers/geometry.js';
import { prng } from '../../helpers/prng.js';

const grid = geometry([20, 10, 6]);

/** Fills the box [x0, x1) x [y0, y1) x [z0, z1) with `value` (and `p` in the probability map). */
function box(
  labels: Volume<'uint8'>,
  prob: Float32Array,
  [x0, x1, y0, y1, z0, z1]: number[],
  value: number,
  p: number,
) {
  for (let z = z0; z < z1; z++)
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++) {
        labels.set(x, y, z, value);
        prob[labels.index(x, y, z)] = p;
      }
}

describe('Medal S post-processing on the input grid', () => {
  it('instance tasks drop components under 10 voxels and keep the rest', () => {
    const labels = Volume.zeros('uint8', grid);
    const prob = new Float32Array(labels.data.length);
    box(labels, prob, [0, 3, 0, 3, 0, 1], 1, 0.9); // 9 voxels: dropped
    box(labels, prob, [10, 12, 0, 5, 0, 1], 1, 0.9); // 10 voxels: kept
    const { labels: out, record } = postprocessLabels(labels, { instance: true, improvedValues: [] });
    expect(record.instanceSmallRemoved).toEqual({ minSize: 10, components: 1, voxels: 9 });
    expect(Array.from(out.data).filter((v) => v !== 0)).toHaveLength(10);
    expect(out.geometry).toEqual(labels.geometry);
  });

  it('instance tasks come out binary 0/1, as the official remove_small_objects_binary', () => {
    // Official (inference.py L67-73, L1077-1079): label(seg) with 6-connectivity, components
    // under 10 voxels set to 0, then `labeled_array > 0` written as int16. Oracle: a plain
    // flood fill of the non-zero voxels, 1 where the component has >= 10 voxels, else 0.
    for (let seed = 1; seed <= 10; seed++) {
      const r = prng(seed);
      const labels = Volume.zeros('uint8', grid);
      const prob = new Float32Array(labels.data.length);
      for (let b = 0; b < 12; b++) {
        const x0 = Math.floor(r() * 18);
        const y0 = Math.floor(r() * 8);
        const z0 = Math.floor(r() * 5);
        const e = [1 + Math.floor(r() * 4), 1 + Math.floor(r() * 3), 1 + Math.floor(r() * 2)];
        const value = [1, 2, 5, 200][Math.floor(r() * 4)];
        box(
          labels,
          prob,
          [x0, x0 + e[0], y0, y0 + e[1], z0, z0 + e[2]].map((v, i) => Math.min(v, grid.size[i >> 1])),
          value,
          0.9,
        );
      }
      const want = new Uint8Array(labels.data.length);
      for (const component of components6(labels.data, grid.size).voxels)
        if (component.length >= 10) for (const m of component) want[m] = 1;
      const before = labels.data.slice();
      const { labels: out, record } = postprocessLabels(labels, { instance: true, improvedValues: [] });
      expect(Array.from(out.data), `seed ${seed}`).toEqual(Array.from(want));
      expect(record.instanceBinary).toEqual({ value: 1, source: 'inference.py L67-73, L1077-1079' });
      expect(out.geometry).toEqual(labels.geometry);
      expect(Array.from(labels.data), 'input untouched').toEqual(Array.from(before));
    }
  });

  it('improved classes keep the most probable of the largest components', () => {
    const labels = Volume.zeros('uint8', grid);
    const prob = new Float32Array(labels.data.length);
    box(labels, prob, [0, 6, 0, 6, 0, 6], 2, 0.7); // largest, mean 0.7
    box(labels, prob, [10, 14, 0, 4, 0, 4], 2, 0.95); // second largest, mean 0.95
    box(labels, prob, [16, 18, 0, 2, 0, 2], 3, 0.99); // another class, not in the list: untouched
    const maxProbability = new Volume<'float32'>(grid, prob);
    const { labels: out, record } = postprocessLabels(labels, {
      instance: false,
      improvedValues: [2],
      maxProbability,
    });
    // Only one component qualifies (>= 0.86 and within 0.1 of the best): the most probable,
    // which is among the two largest, is kept and the largest is removed.
    expect(out.get(2, 2, 2)).toBe(0);
    expect(out.get(11, 1, 1)).toBe(2);
    expect(out.get(16, 0, 0)).toBe(3);
    expect(record.improvedClasses?.voxels).toBe(216);
  });

  it('decides the same on the improved classes box as on the whole grid', () => {
    // Random blobs of several classes, two of them improved, with random probabilities: the rule
    // run on the crop of the improved classes' box (probabilities only there) must give the
    // whole-grid result voxel for voxel.
    let removed = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const r = prng(seed);
      const g = { ...grid, size: [24, 18, 12] as [number, number, number] };
      const labels = Volume.zeros('uint8', g);
      const prob = new Float32Array(labels.data.length).map(() => 0.5 + 0.5 * r());
      for (let b = 0; b < 14; b++) {
        const x0 = Math.floor(r() * 22);
        const y0 = Math.floor(r() * 16);
        const z0 = Math.floor(r() * 10);
        const extent = [1 + Math.floor(r() * 5), 1 + Math.floor(r() * 5), 1 + Math.floor(r() * 4)];
        box(
          labels,
          prob,
          [
            x0,
            Math.min(24, x0 + extent[0]),
            y0,
            Math.min(18, y0 + extent[1]),
            z0,
            Math.min(12, z0 + extent[2]),
          ],
          1 + Math.floor(r() * 4),
          0.8 + 0.2 * r(),
        );
      }
      const improvedValues = [2, 4];
      const whole = postprocessLabels(labels, {
        instance: false,
        improvedValues,
        maxProbability: new Volume<'float32'>(g, prob),
      });
      const probabilityBox = improvedClassesBox(labels, improvedValues);
      if (!probabilityBox) continue;
      const inBox = postprocessLabels(labels, {
        instance: false,
        improvedValues,
        maxProbability: crop(new Volume<'float32'>(g, prob), probabilityBox),
        probabilityBox,
      });
      expect(Array.from(inBox.labels.data), `seed ${seed}`).toEqual(Array.from(whole.labels.data));
      expect(inBox.record, `seed ${seed}`).toEqual(whole.record);
      removed += whole.record.improvedClasses?.voxels ?? 0;
      // The box holds every improved voxel and is tight.
      const improved = Array.from(labels.data.keys()).filter((i) => improvedValues.includes(labels.data[i]!));
      const xs = improved.map((i) => i % 24);
      expect([Math.min(...xs), Math.max(...xs)]).toEqual([probabilityBox.min[0], probabilityBox.max[0]]);
    }
    expect(removed, 'the rule removed components in some cases').toBeGreaterThan(0);
    const none = Volume.zeros('uint8', grid);
    expect(improvedClassesBox(none, [2])).toBeUndefined();
    expect(() =>
      postprocessLabels(none, {
        instance: false,
        improvedValues: [2],
        maxProbability: Volume.zeros('float32', { ...grid, size: [2, 2, 2] }),
      }),
    ).toThrow(/does not cover the labels/);
  });
  it('improved classes: only on label maps under 650 x 650 x 100 voxels (inference.py L1084)', () => {
    // Official main(): `if return_max_prob and instance_label == 0 and x * y * z < 650 * 650 * 100`,
    // with (x, y, z) the final label map's shape. The same two components of class 2 (the
    // largest with mean probability 0.7, a smaller one with 0.95: the rule removes the largest)
    // on a grid of exactly 650 x 650 x 100 voxels, where the rule must not run, and on one of
    // 650 x 650 x 99, where it must.
    expect(IMPROVED_CLASSES_LIMIT.maxVoxelsExclusive).toBe(42_250_000);
    for (const [depth, runs] of [
      [100, false],
      [99, true],
    ] as const) {
      const g = { ...grid, size: [650, 650, depth] as [number, number, number] };
      const labels = Volume.zeros('uint8', g);
      const within = { ...grid, size: [20, 10, 6] as [number, number, number] };
      const probFull = new Float32Array(20 * 10 * 6);
      const small = Volume.zeros('uint8', within);
      box(small, probFull, [0, 6, 0, 6, 0, 6], 2, 0.7);
      box(small, probFull, [10, 14, 0, 4, 0, 4], 2, 0.95);
      for (let z = 0; z < 6; z++)
        for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) labels.set(x, y, z, small.get(x, y, z));
      const probabilityBox = improvedClassesBox(labels, [2])!;
      const maxProbability = crop(new Volume<'float32'>(within, probFull), probabilityBox);
      const { labels: out, record } = postprocessLabels(labels, {
        instance: false,
        improvedValues: [2],
        maxProbability,
        probabilityBox,
      });
      const voxels = 650 * 650 * depth;
      if (runs) {
        expect(out.get(2, 2, 2), `${voxels} voxels: largest removed`).toBe(0);
        expect(record.improvedClasses?.voxels).toBe(216);
        expect(record.improvedClassesSkipped).toBeUndefined();
      } else {
        expect(out.get(2, 2, 2), `${voxels} voxels: largest kept`).toBe(2);
        expect(out.data === labels.data, 'labels untouched').toBe(true);
        expect(record.improvedClasses).toBeUndefined();
        expect(record.improvedClassesSkipped).toMatchObject({
          values: [2],
          voxels,
          maxVoxelsExclusive: 650 * 650 * 100,
          source: 'inference.py L1081-1084',
          reason: expect.stringContaining('650 x 650 x 100'),
        });
      }
      expect(out.geometry).toEqual(labels.geometry);
    }
  });
});
