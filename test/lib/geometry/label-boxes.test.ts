import { describe, expect, it } from 'vitest';

import {
  boxSize,
  cropLabels,
  labelBoxes,
  pasteLabels,
  unionBox,
} from '../../../functions/lib/geometry/label-boxes.js';
import type { LabelArray, Size3 } from '../../../native/index.js';
import { prng } from '../../helpers/prng.js';

/** Brute force: every voxel of every value widens that value's box. */
function bruteBoxes(data: LabelArray, size: Size3) {
  const boxes = new Map<number, { min: number[]; max: number[] }>();
  for (let z = 0; z < size[2]; z++)
    for (let y = 0; y < size[1]; y++)
      for (let x = 0; x < size[0]; x++) {
        const v = data[x + size[0] * (y + size[1] * z)];
        if (v === 0) continue;
        const b = boxes.get(v) ?? { min: [x, y, z], max: [x, y, z] };
        [x, y, z].forEach((c, k) => {
          b.min[k] = Math.min(b.min[k], c);
          b.max[k] = Math.max(b.max[k], c);
        });
        boxes.set(v, b);
      }
  return boxes;
}

describe('labelBoxes', () => {
  it('equals brute force for uint8 and wider label types, sparse and dense', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const r = prng(seed);
      const size: Size3 = [1 + Math.floor(r() * 20), 1 + Math.floor(r() * 15), 1 + Math.floor(r() * 10)];
      const n = size[0] * size[1] * size[2];
      const density = seed % 3 === 0 ? 0.9 : 0.05;
      const bytes = new Uint8Array(n);
      const wide = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        if (r() < density) {
          bytes[i] = 1 + Math.floor(r() * 6);
          wide[i] = bytes[i] === 3 ? -70000 : bytes[i] * 1000;
        }
      }
      for (const data of [bytes, wide] as LabelArray[]) {
        const expected = bruteBoxes(data, size);
        const actual = labelBoxes(data, size);
        expect(new Set(actual.keys())).toEqual(new Set(expected.keys()));
        for (const [v, box] of expected) expect(actual.get(v), `seed ${seed} value ${v}`).toEqual(box);
      }
    }
  });

  it('crops the voxels of a box and unites boxes', () => {
    const size: Size3 = [4, 3, 2];
    const data = Int16Array.from({ length: 24 }, (_, i) => i);
    const box = { min: [1, 1, 0] as [number, number, number], max: [2, 2, 1] as [number, number, number] };
    expect(boxSize(box)).toEqual([2, 2, 2]);
    const crop = cropLabels(data, size, box);
    expect(crop).toBeInstanceOf(Int16Array);
    expect(Array.from(crop)).toEqual([5, 6, 9, 10, 17, 18, 21, 22]);
    expect(unionBox(box, { min: [0, 2, 1], max: [0, 2, 1] })).toEqual({ min: [0, 1, 0], max: [2, 2, 1] });
    expect(unionBox(undefined, box)).toBe(box);
  });
});

describe('pasteLabels', () => {
  it('writes a crop back where cropLabels took it from, and nothing else', () => {
    const r = prng(7);
    const size: Size3 = [9, 7, 5];
    const data = Int16Array.from({ length: 9 * 7 * 5 }, () => Math.floor(r() * 5));
    const box = { min: [2, 1, 1] as [number, number, number], max: [6, 4, 3] as [number, number, number] };
    const piece = cropLabels(data, size, box).map((v) => v + 100);
    const out = data.slice();
    pasteLabels(out, size, box, piece);
    for (let z = 0; z < 5; z++)
      for (let y = 0; y < 7; y++)
        for (let x = 0; x < 9; x++) {
          const i = x + 9 * (y + 7 * z);
          const inside = x >= 2 && x <= 6 && y >= 1 && y <= 4 && z >= 1 && z <= 3;
          expect(out[i]).toBe(inside ? data[i]! + 100 : data[i]);
        }
    expect(() => pasteLabels(out, size, box, new Int16Array(3))).toThrow(RangeError);
  });
});
