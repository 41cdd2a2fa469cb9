/**
 * Sliding-window placement (functions/lib/medal-s/windows.ts) against hand-worked cases of Medal S's
 * split_3d: step s = patch // 2, count = max(ceil(L / s) - 1, 1) with L padded to the patch,
 * start_i = i * s, or L - patch when i * s + patch > L; no de-duplication.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { paddedShape, planWindows, windowStarts } from '../../../functions/lib/medal-s/windows.js';

describe('windowStarts', () => {
  const cases: { length: number; patch: number; starts: number[]; why: string }[] = [
    // s = 64, ceil(256 / 64) - 1 = 3: 0, 64, 128 (128 + 128 = 256 is not past 256).
    { length: 256, patch: 128, starts: [0, 64, 128], why: 'the benchmark grid, H and W' },
    // s = 64, ceil(160 / 64) - 1 = ceil(2.5) - 1 = 2: 0, then 64 + 128 = 192 > 160 -> 160 - 128 = 32.
    { length: 160, patch: 128, starts: [0, 32], why: 'the benchmark grid, D' },
    // s = 64, ceil(128 / 64) - 1 = 1: one window.
    { length: 128, patch: 128, starts: [0], why: 'exactly one patch' },
    // padded to 128 first: ceil(128 / 64) - 1 = 1: [0].
    { length: 100, patch: 128, starts: [0], why: 'smaller than the patch' },
    // s = 64, ceil(129 / 64) - 1 = 3 - 1 = 2: 0, then 64 + 128 = 192 > 129 -> 1.
    { length: 129, patch: 128, starts: [0, 1], why: 'one voxel more than the patch' },
    // stage 1 H/W: s = 112, ceil(300 / 112) - 1 = ceil(2.68) - 1 = 2: 0, then 336 > 300 -> 76.
    { length: 300, patch: 224, starts: [0, 76], why: 'stage-1 patch 224' },
    // s = 112, ceil(500 / 112) - 1 = ceil(4.46) - 1 = 4: 0, 112, 224 (224 + 224 = 448 <= 500),
    // then 336 + 224 = 560 > 500 -> 276.
    { length: 500, patch: 224, starts: [0, 112, 224, 276], why: 'stage-1 patch on a long axis' },
    // stage 2: s = 96, ceil(192 / 96) - 1 = 1.
    { length: 192, patch: 192, starts: [0], why: 'stage-2 patch 192, exact fit' },
    // s = 96, ceil(400 / 96) - 1 = ceil(4.17) - 1 = 4: 0, 96, 192 (384 <= 400), then 480 > 400 -> 208.
    { length: 400, patch: 192, starts: [0, 96, 192, 208], why: 'stage-2 patch, long axis' },
    // s = 64, ceil(320 / 64) - 1 = 4: 0, 64, 128, 192 (192 + 128 = 320, not past): no clamping.
    { length: 320, patch: 128, starts: [0, 64, 128, 192], why: 'a multiple of the step' },
    // odd patch: s = 2, ceil(5 / 2) - 1 = 2: 0, then 2 + 5 = 7 > 5 -> 0 again (kept, as split_3d does).
    { length: 5, patch: 5, starts: [0, 0], why: 'odd patch repeats a start' },
    // s = 1, ceil(7 / 1) - 1 = 6: 0, 1, 2, 3, 4 (4 + 3 = 7), then 5 + 3 = 8 > 7 -> 4 again.
    { length: 7, patch: 3, starts: [0, 1, 2, 3, 4, 4], why: 'odd patch, step 1' },
    // s = 2, ceil(9 / 2) - 1 = 4: 0, 2, 4 (4 + 4 = 8 <= 9), then 6 + 4 = 10 > 9 -> 5.
    { length: 9, patch: 4, starts: [0, 2, 4, 5], why: 'small even patch' },
    // padded to 2: s = 1, ceil(2 / 1) - 1 = 1: [0].
    { length: 1, patch: 2, starts: [0], why: 'smallest patch, one voxel' },
    // odd patch larger than the axis: padded to 7, s = 3, ceil(7 / 3) - 1 = 2: 0, then 3 + 7 > 7 -> 0.
    { length: 4, patch: 7, starts: [0, 0], why: 'odd patch, padded axis' },
  ];
  for (const c of cases) {
    it(`L ${c.length}, patch ${c.patch}: ${c.why}`, () => {
      expect(windowStarts(c.length, c.patch)).toEqual(c.starts);
    });
  }

  it('covers the padded axis, ends exactly at its end and stays inside it (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer({ min: 2, max: 400 }), (length, patch) => {
        const padded = Math.max(length, patch);
        const starts = windowStarts(length, patch);
        const step = Math.floor(patch / 2);
        expect(starts.length).toBe(Math.max(Math.ceil(padded / step) - 1, 1));
        const covered = new Uint8Array(padded);
        let inside = true;
        let ordered = true;
        starts.forEach((s, i) => {
          inside &&= s >= 0 && s + patch <= padded;
          ordered &&= i === 0 || s >= starts[i - 1];
          covered.fill(1, s, s + patch);
        });
        expect({ inside, ordered, covered: covered.every((v) => v === 1) }).toEqual({
          inside: true,
          ordered: true,
          covered: true,
        });
        expect(Math.max(...starts) + patch).toBe(padded);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects what split_3d cannot place', () => {
    expect(() => windowStarts(10, 1)).toThrow(RangeError); // step 1 // 2 = 0
    expect(() => windowStarts(0, 4)).toThrow(RangeError);
    expect(() => windowStarts(10.5, 4)).toThrow(RangeError);
    expect(() => windowStarts(10, 4.5)).toThrow(RangeError);
    expect(() => windowStarts(NaN, 4)).toThrow(RangeError);
  });
});

describe('planWindows', () => {
  it('256 x 256 x 160 with 128^3 patches: 3 x 3 x 2 windows, h outermost, d innermost', () => {
    const windows = planWindows([256, 256, 160], [128, 128, 128]);
    expect(windows).toHaveLength(18);
    expect(windows.slice(0, 4)).toEqual([
      [0, 0, 0],
      [0, 0, 32],
      [0, 64, 0],
      [0, 64, 32],
    ]);
    expect(windows[17]).toEqual([128, 128, 32]);
  });

  it('stage 1 on a 300 x 250 x 100 grid: H [0, 76], W [0, 26], D padded [0]', () => {
    // W: s = 112, ceil(250 / 112) - 1 = 2: 0, then 112 + 224 = 336 > 250 -> 26.
    expect(planWindows([300, 250, 100], [224, 224, 128])).toEqual([
      [0, 0, 0],
      [0, 26, 0],
      [76, 0, 0],
      [76, 26, 0],
    ]);
    expect(paddedShape([300, 250, 100], [224, 224, 128])).toEqual([300, 250, 128]);
  });

  it('a volume smaller than the patch on every axis: one window at the origin', () => {
    expect(planWindows([50, 60, 70], [192, 192, 192])).toEqual([[0, 0, 0]]);
  });

  it('is the product of the per-axis starts', () => {
    const shape: [number, number, number] = [70, 45, 33];
    const patch: [number, number, number] = [32, 24, 16];
    const [hs, ws, ds] = [0, 1, 2].map((a) => windowStarts(shape[a], patch[a]));
    const expected = hs.flatMap((h) => ws.flatMap((w) => ds.map((d) => [h, w, d])));
    expect(planWindows(shape, patch)).toEqual(expected);
  });
});
