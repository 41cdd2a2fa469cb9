/**
 * labelOverlap (per-value counts and boxes of two uint8 label maps in one pass) against a
 * brute-force TypeScript count over every voxel: random maps of several densities and extents
 * (rows that are not a multiple of 8 voxels, single voxels, thin slabs), one array given twice,
 * values up to 255, async equal to sync, and the argument checks.
 */
import { describe, expect, it } from 'vitest';

import * as native from '../../native/index.js';
import type { Size3 } from '../../native/index.js';
import { prng } from '../helpers/prng.js';
import { extents } from './fixtures.js';

/** The counts and boxes by visiting each voxel (boxes [minX, minY, minZ, maxX, maxY, maxZ], -1 absent). */
function bruteForce(gt: Uint8Array, pred: Uint8Array, size: Size3): native.LabelOverlap {
  const out = {
    gtCounts: new Float64Array(256),
    predCounts: new Float64Array(256),
    sameCounts: new Float64Array(256),
    gtBoxes: new Int32Array(256 * 6).fill(-1),
    predBoxes: new Int32Array(256 * 6).fill(-1),
  };
  const grow = (boxes: Int32Array, v: number, p: number[]) => {
    if (v === 0) return;
    for (let a = 0; a < 3; a++) {
      const lo = v * 6 + a;
      if (boxes[lo] === -1 || p[a] < boxes[lo]) boxes[lo] = p[a];
      if (p[a] > boxes[lo + 3]) boxes[lo + 3] = p[a];
    }
  };
  const [nx, ny, nz] = size;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const i = x + nx * (y + ny * z);
        out.gtCounts[gt[i]]++;
        out.predCounts[pred[i]]++;
        if (gt[i] === pred[i]) out.sameCounts[gt[i]]++;
        grow(out.gtBoxes, gt[i], [x, y, z]);
        grow(out.predBoxes, pred[i], [x, y, z]);
      }
    }
  }
  return out;
}

/** Background with runs of labels drawn from `values`, each voxel starting a run with probability `density`. */
function labels(size: Size3, density: number, values: number[], seed: number): Uint8Array {
  const r = prng(seed);
  const out = new Uint8Array(size[0] * size[1] * size[2]);
  for (let i = 0; i < out.length; i++) {
    if (r() >= density) continue;
    const v = values[Math.floor(r() * values.length)];
    const run = 1 + Math.floor(r() * 12);
    for (let k = 0; k < run && i < out.length; k++, i++) out[i] = v;
  }
  return out;
}

describe('labelOverlap', () => {
  it('equals a brute-force count of every voxel', async () => {
    let seed = 1;
    for (const size of extents('1x1x1 7x1x1 8x1x1 9x3x2 16x5x4 23x7x6 33x9x5 64x3x3 1x17x9')) {
      for (const density of [0, 0.02, 0.3, 1]) {
        const values = [1, 2, 7, 200, 255];
        const gt = labels(size, density, values, seed++);
        const pred = labels(size, density, values.slice(1), seed++);
        const expected = bruteForce(gt, pred, size);
        expect(native.labelOverlap(gt, pred, size), `${size} ${density}`).toEqual(expected);
        expect(await native.labelOverlapAsync(gt, pred, size), `${size} ${density} async`).toEqual(expected);
        // One array as both maps: every voxel agrees.
        expect(native.labelOverlap(gt, gt, size)).toEqual(bruteForce(gt, gt, size));
      }
    }
  });

  it('reads typed arrays with an offset into a larger buffer', () => {
    const size: Size3 = [13, 6, 5];
    const n = size[0] * size[1] * size[2];
    const buffer = new Uint8Array(3 + 2 * n);
    buffer.set(labels(size, 0.2, [3, 4], 91), 3);
    buffer.set(labels(size, 0.2, [3, 5], 92), 3 + n);
    const gt = buffer.subarray(3, 3 + n);
    const pred = buffer.subarray(3 + n);
    expect(native.labelOverlap(gt, pred, size)).toEqual(bruteForce(gt, pred, size));
  });

  it('checks its arguments', async () => {
    const raw = native.loadNative() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const m = new Uint8Array(60);
    const size: Size3 = [5, 4, 3];
    expect(() => raw.labelOverlap(m, m)).toThrow(/labelOverlap\(gt, pred, size\) expects 3 arguments/);
    expect(() => raw.labelOverlap(m, new Uint8Array(59), size)).toThrow(/labelOverlap: pred has 59/);
    expect(() => raw.labelOverlap(m, new Int16Array(60), size)).toThrow(/pred must be a Uint8Array/);
    expect(() => raw.labelOverlap(new Float32Array(60), m, size)).toThrow(TypeError);
    expect(() => raw.labelOverlap(m, m, [5, 4, 0])).toThrow(/size\[2\]/);
    await expect(native.labelOverlapAsync(new Int32Array(60) as never, m, size)).rejects.toThrow(
      /labelOverlapAsync: gt must be a Uint8Array/,
    );
  });
});
