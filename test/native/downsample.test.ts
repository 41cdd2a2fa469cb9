/**
 * Block downsampling of the addon (src/downsample.*) against the brute-force oracle
 * (test/oracles/downsample.ts): every element type, uneven edges, whole-volume blocks, NaN and
 * infinities, halves rounded as Math.round, and the argument checks.
 */
import { describe, expect, it } from 'vitest';

import * as native from '../../native/index.js';
import type { Size3 } from '../../native/index.js';
import * as oracle from '../oracles/downsample.js';
import { prng } from '../helpers/prng.js';

const SIZES: Size3[] = [
  [13, 7, 5],
  [1, 1, 1],
  [16, 9, 3],
];
const FACTORS: Size3[] = [
  [1, 1, 1],
  [2, 2, 1],
  [3, 2, 2],
  [4, 3, 5],
  [13, 7, 5],
  [20, 20, 20],
];

describe('blockMean and blockMode against the oracle', () => {
  const r = prng(42);
  const fill = (n: number, make: () => number) => Array.from({ length: n }, make);
  const arrays = (n: number) => ({
    uint8: Uint8Array.from(fill(n, () => Math.floor(r() * 256))),
    int16: Int16Array.from(fill(n, () => Math.floor(r() * 4000) - 2000)),
    uint16: Uint16Array.from(fill(n, () => Math.floor(r() * 65536))),
    int32: Int32Array.from(fill(n, () => [0, 5, -7, 3_000_000, -2_000_000_000][Math.floor(r() * 5)])),
    float32: Float32Array.from(fill(n, () => (r() - 0.5) * 1e4)),
  });

  it('block means of every type equal the oracle, float32 bit for bit', () => {
    for (const size of SIZES) {
      const n = size[0] * size[1] * size[2];
      for (const [type, data] of Object.entries(arrays(n))) {
        for (const f of FACTORS) {
          const got = native.blockMean(data, size, f);
          expect(got.constructor).toBe(data.constructor);
          expect(Array.from(got), `${type} ${size.join('x')} by ${f.join('x')}`).toEqual(
            oracle.blockMean(data, size, f, type === 'float32'),
          );
        }
      }
    }
  });

  it('block modes of every integer type equal the oracle (ties to the smaller value)', () => {
    for (const size of SIZES) {
      const n = size[0] * size[1] * size[2];
      const few = (values: number[]) => fill(n, () => values[Math.floor(r() * values.length)]);
      const data = {
        uint8: Uint8Array.from(few([0, 0, 1, 2, 255])),
        int16: Int16Array.from(few([-700, 0, 700])),
        uint16: Uint16Array.from(few([0, 9, 65535])),
        int32: Int32Array.from(few([0, 5, 3_000_000, -2_000_000_000])),
      };
      for (const [type, labels] of Object.entries(data)) {
        for (const f of FACTORS) {
          expect(Array.from(native.blockMode(labels, size, f)), `${type} by ${f.join('x')}`).toEqual(
            oracle.blockMode(labels, size, f),
          );
        }
      }
    }
  });

  it('rounds halves toward +infinity like Math.round, and keeps NaN and infinities in float means', () => {
    const halves = Int16Array.from([-3, -2, 2, 3, -1, 0, 0, 1]);
    expect(Array.from(native.blockMean(halves, [2, 4, 1], [2, 1, 1]))).toEqual([-2, 3, 0, 1]);
    const floats = Float32Array.from([NaN, 1, Infinity, 1, -Infinity, Infinity, 2, 4]);
    expect(Array.from(native.blockMean(floats, [2, 4, 1], [2, 1, 1]))).toEqual([NaN, Infinity, NaN, 3]);
  });

  it('refuses bad arguments with TypeError or RangeError naming them', () => {
    const addon = native.loadNative();
    const data = new Uint8Array(24);
    expect(() => addon.blockMean(data, [4, 3, 2], [2, 2, 2], new Uint8Array(3))).toThrow(
      /out has 3 elements/,
    );
    expect(() => addon.blockMean(data, [4, 3, 2], [2, 2, 2], new Int16Array(4))).toThrow(TypeError);
    expect(() => addon.blockMean(data, [4, 3, 2], [0, 2, 2], new Uint8Array(4))).toThrow(RangeError);
    expect(() => addon.blockMean(data, [4, 3, 3], [2, 2, 2], new Uint8Array(6))).toThrow(RangeError);
    expect(() => addon.blockMean(data, [4, 3, 2], [2, 2, 2], data.subarray(0, 4))).toThrow(
      /must not share memory/,
    );
    expect(() => addon.blockMean(data, [4, 3, 2], [256, 128, 128], new Uint8Array(1))).toThrow(
      /2\^21 voxels/,
    );
    expect(() =>
      addon.blockMode(new Float32Array(24) as unknown as Uint8Array, [4, 3, 2], [2, 2, 2], new Uint8Array(4)),
    ).toThrow(TypeError);
  });
});
