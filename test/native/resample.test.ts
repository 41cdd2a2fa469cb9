/**
 * Label-map resampling of the addon (src/resample_labels.*, src/resample_binding.*) against its
 * TypeScript oracle (test/oracles/resample.ts): the labels must be identical, voxel for voxel,
 * for every label type, oblique affines, targets partly outside the input, axes of size 1, exact
 * ties, identity, upsampling and downsampling; plus the argument checks and the async variant.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

import * as native from '../../native/index.js';
import type { LabelAffine, LabelArray, Size3 } from '../../native/index.js';
import * as oracle from '../oracles/index.js';
import { extents } from './fixtures.js';
import { prng } from '../helpers/prng.js';

type LabelCtor = new (length: number) => LabelArray;
const labelTypes: { name: string; ctor: LabelCtor; values: number[] }[] = [
  { name: 'Uint8Array', ctor: Uint8Array, values: [1, 2, 7, 46, 255] },
  { name: 'Int16Array', ctor: Int16Array, values: [1, -3, 300, -32768, 32767] },
  { name: 'Uint16Array', ctor: Uint16Array, values: [1, 2, 1000, 65535, 256] },
  { name: 'Int32Array', ctor: Int32Array, values: [1, -1, 70000, -2147483648, 2147483647] },
];

const count = (s: Size3) => s[0] * s[1] * s[2];

/** Random boxes of random values over a sprinkle of noise (uniform areas and mixed corners). */
function randomLabels(ctor: LabelCtor, values: number[], size: Size3, r: () => number): LabelArray {
  const [nx, ny] = size;
  const data = new ctor(count(size));
  const pick = () => (r() < 0.2 ? 0 : values[Math.floor(r() * values.length)]);
  for (let box = 0; box < 6; box++) {
    const lo = size.map((n) => Math.floor(r() * n));
    const hi = size.map((n, a) => Math.min(n, lo[a] + 1 + Math.floor(r() * n)));
    const value = pick();
    for (let z = lo[2]; z < hi[2]; z++)
      for (let y = lo[1]; y < hi[1]; y++)
        for (let x = lo[0]; x < hi[0]; x++) data[x + nx * (y + ny * z)] = value;
  }
  const noise = r() * 0.3;
  for (let i = 0; i < data.length; i++) if (r() < noise) data[i] = pick();
  return data;
}

/** A random rotation times random scales, with an offset that leaves part of the target outside. */
function randomAffine(r: () => number, from: Size3, to: Size3): LabelAffine {
  const [a, b, c] = [r() * Math.PI * 2, r() * Math.PI, r() * Math.PI * 2];
  const rz = (t: number) => [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];
  const rx = (t: number) => [1, 0, 0, 0, Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t)];
  const mul = (p: number[], q: number[]) =>
    Array.from({ length: 9 }, (_, n) => {
      const [row, col] = [Math.floor(n / 3), n % 3];
      return p[row * 3] * q[col] + p[row * 3 + 1] * q[3 + col] + p[row * 3 + 2] * q[6 + col];
    });
  const rot = mul(mul(rz(a), rx(b)), rz(c));
  const scale = [0, 1, 2].map(() => 0.3 + r() * 2.2);
  const A = rot.map((v, n) => v * scale[n % 3]);
  // The target's centre lands near the input's centre, shifted by up to a third of the input.
  const b3 = [0, 1, 2].map((row) => {
    const centre =
      ((to[0] - 1) / 2) * A[row * 3] +
      ((to[1] - 1) / 2) * A[row * 3 + 1] +
      ((to[2] - 1) / 2) * A[row * 3 + 2];
    return (from[row] - 1) / 2 - centre + (r() - 0.5) * (from[row] / 1.5);
  });
  return { A: Float64Array.from(A), b: Float64Array.from(b3) };
}

/** Axis-aligned map: c = scale * t + offset per axis (same grid with scale 1 and offset 0). */
function axisAffine(scale: readonly number[], offset: readonly number[]): LabelAffine {
  return { A: [scale[0], 0, 0, 0, scale[1], 0, 0, 0, scale[2]], b: [...offset] };
}

function randomSize(r: () => number, max: number, oneAxis: boolean): Size3 {
  const size = [0, 1, 2].map(() => 1 + Math.floor(r() * max)) as [number, number, number];
  if (oneAxis) size[Math.floor(r() * 3)] = 1;
  return size;
}

/** Index of the first difference, or -1 (a full toEqual on big arrays is slow and unreadable). */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function expectSame(data: LabelArray, size: Size3, affine: LabelAffine, to: Size3): LabelArray {
  const expected = oracle.resampleLabels(data, size, affine, to);
  const actual = native.resampleLabels(data, size, affine, to);
  expect(actual.constructor).toBe(data.constructor);
  expect(actual.length).toBe(count(to));
  expect(firstDifference(actual, expected)).toBe(-1);
  return actual;
}

describe('resampleLabels equals the oracle exactly', () => {
  for (const { name, ctor, values } of labelTypes) {
    it(`${name}: random volumes, oblique affines, targets partly outside, axes of size 1`, () => {
      const r = prng(name.length * 7919 + 17);
      let inside = 0;
      for (let seed = 0; seed < 40; seed++) {
        const from = randomSize(r, 20, seed % 5 === 0);
        const to = randomSize(r, 20, seed % 7 === 1);
        const data = randomLabels(ctor, values, from, r);
        const out = expectSame(data, from, randomAffine(r, from, to), to);
        for (let i = 0; i < out.length; i++) if (out[i] !== 0) inside++;
      }
      expect(inside).toBeGreaterThan(1000);
    });

    it(`${name}: identity, shifts to the grid edge, exact ties, upsampling and downsampling`, () => {
      const r = prng(name.length * 31 + 5);
      const from: Size3 = [13, 9, 7];
      const data = randomLabels(ctor, values, from, r);
      // Same grid: the labels themselves.
      expect(firstDifference(expectSame(data, from, axisAffine([1, 1, 1], [0, 0, 0]), from), data)).toBe(-1);
      // Shifted by exactly half a voxel: -0.5 and size - 0.5 are still inside.
      expectSame(data, from, axisAffine([1, 1, 1], [-0.5, -0.5, -0.5]), from);
      expectSame(data, from, axisAffine([1, 1, 1], [0.5, 0.5, 0.5]), from);
      // Upsampling by 2 with corners on the grid: weights 1/2 and 1/4, ties to the lower value.
      expectSame(data, from, axisAffine([0.5, 0.5, 0.5], [0, 0, 0]), [25, 17, 13]);
      // Working-grid style up- and downsampling (align_corners=false).
      const working = (to: Size3) =>
        axisAffine(
          to.map((n, a) => from[a] / n),
          to.map((n, a) => (from[a] / n - 1) / 2),
        );
      for (const to of [
        [26, 18, 14],
        [7, 5, 3],
        [20, 4, 9],
        [1, 1, 1],
        [13, 9, 1],
      ] as Size3[]) {
        expectSame(data, from, working(to), to);
      }
    });
  }

  it('decimal affines landing on the -0.5 / size - 0.5 boundaries: float64 rounding decides, as in the oracle', () => {
    // Entries like 0.1 and 0.3 are inexact in binary, so whether a coordinate meant to be exactly
    // -0.5 or size - 0.5 comes out inside depends on the order of the operations.
    const r = prng(2024);
    const steps = [0.1, 0.2, 0.3, 0.7, -0.1, -0.3, 0.6, 1.1];
    const from: Size3 = [7, 6, 5];
    for (const { ctor, values } of labelTypes) {
      const data = new ctor(count(from));
      for (let i = 0; i < data.length; i++) data[i] = values[Math.floor(r() * values.length)];
      for (let t = 0; t < 50; t++) {
        const A = Array.from({ length: 9 }, () => (r() < 0.5 ? steps[Math.floor(r() * steps.length)] : 0));
        const b = [0, 1, 2].map(() => Math.round(r() * 20 - 10) / 10 - 0.5);
        expectSame(data, from, { A, b }, [12, 12, 12]);
      }
    }
  });

  it('axis-aligned affines with -0 entries and coordinates of -0 (the per-axis table path)', () => {
    const r = prng(5);
    const from: Size3 = [6, 5, 4];
    for (const { ctor, values } of labelTypes) {
      const data = randomLabels(ctor, values, from, r);
      expectSame(data, from, { A: [1, -0, -0, -0, 0.5, -0, -0, -0, 2], b: [-0, 0, -0] }, [6, 9, 2]);
      expectSame(data, from, { A: [-0, 0, -0, 0, 1, 0, -0, 0, 1], b: [0, 0, 0] }, [5, 5, 4]);
      expectSame(data, from, { A: [-1, 0, 0, 0, -0.5, 0, 0, 0, -1], b: [5.5, 4, 3] }, [7, 10, 5]);
    }
  });

  it('checkerboards of two labels: every corner mixed, ties everywhere', () => {
    const from: Size3 = [8, 8, 8];
    for (const { ctor, values } of labelTypes) {
      const data = new ctor(count(from));
      for (let i = 0; i < data.length; i++) {
        const [x, y, z] = [i % 8, Math.floor(i / 8) % 8, Math.floor(i / 64)];
        data[i] = (x + y + z) % 2 ? values[1] : values[3];
      }
      expectSame(data, from, axisAffine([0.5, 0.5, 0.5], [0.25, 0, 0.5]), [15, 15, 15]);
      expectSame(data, from, axisAffine([0.75, 0.5, 0.25], [0, 0, 0]), [12, 16, 30]);
    }
  });

  it('inputs of size 1 on several axes, single voxels and single rows', () => {
    const r = prng(99);
    for (const { ctor, values } of labelTypes) {
      for (const from of extents('1x1x1 1x1x9 7x1x1 1x6x5')) {
        const data = randomLabels(ctor, values, from, r);
        for (let k = 0; k < 4; k++) {
          const to = randomSize(r, 9, k % 2 === 0);
          expectSame(data, from, randomAffine(r, from, to), to);
        }
        expectSame(data, from, axisAffine([0.4, 0.4, 0.4], [-0.3, -0.2, 0.1]), [4, 5, 6]);
      }
    }
  });

  it('the result does not depend on the number of threads, and `out` is overwritten', () => {
    const r = prng(7);
    const from: Size3 = [48, 40, 24];
    const to: Size3 = [64, 56, 30];
    const data = randomLabels(Int16Array, labelTypes[1].values, from, r);
    const affine = randomAffine(r, from, to);
    const expected = oracle.resampleLabels(data, from, affine, to);
    const addon = native.loadNative();
    for (const threads of [1, 2, 3, 7, 0]) {
      const out = new Int16Array(count(to)).fill(-5);
      expect(addon.resampleLabels(data, from, affine.A, affine.b, to, out, threads)).toBe(out);
      expect(firstDifference(out, expected)).toBe(-1);
    }
    // The axis-aligned path (per-axis tables) too.
    const aligned = axisAffine([0.7, 0.65, 0.75], [0.1, -0.2, 0.05]);
    const alignedExpected = oracle.resampleLabels(data, from, aligned, to);
    for (const threads of [1, 3]) {
      const out = addon.resampleLabels(data, from, aligned.A, aligned.b, to, null, threads);
      expect(firstDifference(out, alignedExpected)).toBe(-1);
    }
    const reused = new Int16Array(count(to)).fill(123);
    expect(native.resampleLabels(data, from, affine, to, reused)).toBe(reused);
    expect(firstDifference(reused, expected)).toBe(-1);
    // Plain Arrays work as A and b too.
    const plain = { A: Array.from(affine.A), b: Array.from(affine.b) };
    expect(firstDifference(native.resampleLabels(data, from, plain, to), expected)).toBe(-1);
  });
});

describe('resampleLabelsAsync', () => {
  it('resolves to the same labels as the sync call, several at a time', async () => {
    const r = prng(11);
    const cases = labelTypes.map(({ ctor, values }) => {
      const from = randomSize(r, 24, false);
      const to = randomSize(r, 24, false);
      const data = randomLabels(ctor, values, from, r);
      return { data, from, to, affine: randomAffine(r, from, to) };
    });
    const results = await Promise.all(
      cases.map((c) => native.resampleLabelsAsync(c.data, c.from, c.affine, c.to)),
    );
    cases.forEach((c, n) => {
      expect(results[n].constructor).toBe(c.data.constructor);
      expect(firstDifference(results[n], native.resampleLabels(c.data, c.from, c.affine, c.to))).toBe(-1);
    });
    const out = new Uint8Array(27);
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    await expect(
      native.resampleLabelsAsync(data, [2, 2, 2], axisAffine([0.5, 0.5, 0.5], [0, 0, 0]), [3, 3, 3], out),
    ).resolves.toBe(out);
    expect(
      firstDifference(
        out,
        oracle.resampleLabels(data, [2, 2, 2], axisAffine([0.5, 0.5, 0.5], [0, 0, 0]), [3, 3, 3]),
      ),
    ).toBe(-1);
  });
});

describe('argument checks', () => {
  const addon = native.loadNative() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const data = new Uint8Array(24);
  const size = [2, 3, 4];
  const A = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const b = [0, 0, 0];
  const to = [3, 3, 3];
  const good = [data, size, A, b, to, null, 0];
  /** The good arguments with argument `index` replaced by `value`. */
  const withArg = (index: number, value: unknown) => good.map((v, i) => (i === index ? value : v));
  const bad: [string, unknown[], ErrorConstructor, RegExp][] = [
    [
      'too few arguments',
      good.slice(0, 6),
      TypeError,
      /\(data, size, A, b, targetSize, out, threads\) expects 7/,
    ],
    [
      'float data',
      withArg(0, new Float32Array(24)),
      TypeError,
      /data must be .*integer labels\), got Float32Array/,
    ],
    [
      'data not a typed array',
      withArg(0, Array(24).fill(0)),
      TypeError,
      /data must be a Uint8Array.*got Array/,
    ],
    ['data of the wrong length', withArg(0, new Uint8Array(23)), RangeError, /data has 23 elements but size/],
    ['size not integers', withArg(1, [2, 3.5, 4]), RangeError, /size\[1\] must be a positive integer/],
    ['size of zero', withArg(1, [2, 0, 4]), RangeError, /size\[1\] must be a positive integer/],
    ['size not an Array', withArg(1, 24), TypeError, /size must be an Array/],
    ['A too short', withArg(2, [1, 0, 0]), RangeError, /A must have exactly 9 elements, got 3/],
    [
      'A with NaN',
      withArg(2, [1, 0, 0, 0, NaN, 0, 0, 0, 1]),
      RangeError,
      /A\[4\] must be a finite number, got nan/i,
    ],
    [
      'A with a string',
      withArg(2, [1, 0, 0, 0, '1', 0, 0, 0, 1]),
      TypeError,
      /A\[4\] must be a finite number, got string/,
    ],
    ['A as a Float32Array', withArg(2, new Float32Array(9)), TypeError, /A must be an Array or Float64Array/],
    [
      'A missing',
      withArg(2, undefined),
      TypeError,
      /A must be an Array or Float64Array of 9 finite numbers, got undefined/,
    ],
    [
      'b infinite',
      withArg(3, new Float64Array([0, Infinity, 0])),
      RangeError,
      /b\[1\] must be a finite number, got inf/,
    ],
    ['b too long', withArg(3, [0, 0, 0, 0]), RangeError, /b must have exactly 3 elements, got 4/],
    ['targetSize of zero', withArg(4, [3, 0, 3]), RangeError, /targetSize\[1\] must be a positive integer/],
    [
      'targetSize above 2^31 voxels',
      withArg(4, [65536, 32768, 2]),
      RangeError,
      /at most 2\^31 are supported/,
    ],
    [
      'coordinates overflowing float64',
      withArg(2, [1e308, 0, 0, 0, 1, 0, 0, 0, 1]),
      RangeError,
      /beyond the float64 range/,
    ],
    [
      'out of another type',
      withArg(5, new Int16Array(27)),
      TypeError,
      /out must be null or of the same type as data \(Uint8Array\), got Int16Array/,
    ],
    [
      'out of the wrong length',
      withArg(5, new Uint8Array(26)),
      RangeError,
      /out has 26 elements but targetSize \[3, 3, 3\] needs/,
    ],
    [
      'out sharing memory with data',
      [data, size, A, b, [2, 3, 4], data.subarray(0), 0],
      RangeError,
      /data and out must not share memory/,
    ],
    ['threads negative', withArg(6, -1), RangeError, /threads must be an integer from 0 to 1024/],
    ['threads not a number', withArg(6, '2'), TypeError, /threads must be an integer/],
  ];

  for (const [what, args, type, message] of bad) {
    it(`${what}: sync and async throw ${type.name}`, () => {
      expect(() => addon.resampleLabels(...args)).toThrow(type);
      expect(() => addon.resampleLabels(...args)).toThrow(message);
      expect(() => addon.resampleLabelsAsync(...args)).toThrow(type);
      expect(() => addon.resampleLabelsAsync(...args)).toThrow(
        /^resampleLabelsAsync: |resampleLabelsAsync\(/,
      );
    });
  }

  it('the wrappers throw (sync) and reject (async) with the same errors', async () => {
    const affine = { A, b };
    expect(() =>
      native.resampleLabels(new Float32Array(24) as unknown as Uint8Array, [2, 3, 4], affine, [3, 3, 3]),
    ).toThrow(TypeError);
    await expect(
      native.resampleLabelsAsync(new Float32Array(24) as unknown as Uint8Array, [2, 3, 4], affine, [3, 3, 3]),
    ).rejects.toThrow(TypeError);
    await expect(native.resampleLabelsAsync(data, [2, 3, 4], { A, b: [0, 0] }, [3, 3, 3])).rejects.toThrow(
      RangeError,
    );
    await expect(
      native.resampleLabelsAsync(data, [2, 3, 4], affine, [3, 3, 3], new Uint8Array(2)),
    ).rejects.toThrow(RangeError);
    expect(() => native.resampleLabels(data, [2, 3, 4], null as unknown as LabelAffine, [3, 3, 3])).toThrow(
      /affine must be an object/,
    );
    await expect(
      native.resampleLabelsAsync(data, [2, 3, 4], null as unknown as LabelAffine, [3, 3, 3]),
    ).rejects.toThrow(TypeError);
  });

  it('bad calls never crash the process, and buffers survive garbage collection (separate process)', () => {
    const script = `
      const addon = require(${JSON.stringify(native.addonPath())});
      const A = [0.7, 0.1, 0, -0.1, 0.7, 0, 0, 0, 1.3];
      const b = [0.2, -0.4, 0.1];
      let thrown = 0;
      const calls = [
        [], [null, null, null, null, null, null, null], [new Uint8Array(8), [2, 2, 2], {}, b, [2, 2, 2], null, 0],
        [new Uint8Array(8), [2, 2, 2], A, b, [2, 2, 2], new Uint8Array(8).buffer, 0],
        [new Uint8Array(8), [2, 2, 2], A, b, [-1, 2, 2], null, 0], [new Uint8Array(8), [2, 2, 2], A, b, [2, 2], null, 0],
        [new Uint8Array(8), [2, 2, 2], A, b, [2, 2, 2], null, 1e9], [new Uint8Array(8), [1e300, 1e300, 1], A, b, [2, 2, 2], null, 0],
        [new Uint8Array(8), [2, 2, 2], new Float64Array(9).fill(-1e308), b, [2, 2, 2], null, 0],
      ];
      for (const args of calls) for (const fn of ['resampleLabels', 'resampleLabelsAsync']) {
        try { addon[fn](...args); } catch (e) { if (e instanceof TypeError || e instanceof RangeError) thrown++; }
      }
      const make = (s) => { const d = new Int32Array(30 * 20 * 10); for (let i = 0; i < d.length; i++) d[i] = ((i * 2654435761 + s) >>> 28) - 4; return d; };
      const expected = [];
      for (let s = 0; s < 8; s++) expected.push(Array.from(addon.resampleLabels(make(s), [30, 20, 10], A, b, [35, 25, 9], null, 2)));
      const pending = [];
      for (let s = 0; s < 8; s++) pending.push(addon.resampleLabelsAsync(make(s), [30, 20, 10], A, b, [35, 25, 9], null, 2));
      for (let k = 0; k < 10; k++) { globalThis.gc(); new Array(1e5).fill({}); }
      Promise.all(pending).then((all) => {
        globalThis.gc();
        const same = all.every((out, s) => out.length === expected[s].length && out.every((v, i) => v === expected[s][i]));
        console.log(JSON.stringify({ thrown, same }));
      });
    `;
    const result = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ thrown: 18, same: true });
  });
});

// ---------------------------------------------------------------------------------------------
// resampleLabelsTaps: the table-driven (torch one-hot, float16) kernel
// ---------------------------------------------------------------------------------------------

/** Random tables: linear-like (two neighbours), one-tap (nearest), or any two taps and weights. */
function randomTaps(r: () => number, nIn: number, nOut: number): native.AxisTaps {
  const index = new Int32Array(2 * nOut);
  const weight = new Float32Array(2 * nOut);
  const kind = r();
  for (let t = 0; t < nOut; t++) {
    const i0 = Math.floor(r() * nIn);
    if (kind < 0.4) {
      index[2 * t] = i0;
      index[2 * t + 1] = Math.min(i0 + 1, nIn - 1);
      const w1 = Math.fround(r());
      weight[2 * t] = Math.fround(1 - w1);
      weight[2 * t + 1] = w1;
    } else if (kind < 0.6) {
      index[2 * t] = index[2 * t + 1] = i0;
      weight[2 * t] = 1;
    } else {
      index[2 * t] = i0;
      index[2 * t + 1] = Math.floor(r() * nIn);
      // exact halves and quarters (ties) as well as arbitrary weights, 0 and 1 included
      const pick = () => [0, 1, 0.5, 0.25, 0.75, Math.fround(r())][Math.floor(r() * 6)];
      weight[2 * t] = pick();
      weight[2 * t + 1] = pick();
    }
  }
  return { index, weight };
}

describe('resampleLabelsTaps equals the oracle exactly', () => {
  for (const { name, ctor, values } of labelTypes) {
    it(`${name}: random volumes and tables, axes of size 1, checkerboards`, () => {
      const r = prng(name.length * 131);
      for (let c = 0; c < 30; c++) {
        const from = randomSize(r, 12, c % 3 === 0);
        const to = randomSize(r, 14, c % 4 === 1);
        const data =
          c % 5 === 0
            ? (() => {
                const d = new ctor(count(from));
                for (let i = 0; i < d.length; i++) d[i] = values[((i + i / from[0]) | 0) % 2];
                return d;
              })()
            : randomLabels(ctor, values, from, r);
        const taps = [0, 1, 2].map((a) => randomTaps(r, from[a], to[a])) as [
          native.AxisTaps,
          native.AxisTaps,
          native.AxisTaps,
        ];
        const got = native.resampleLabelsTaps(data, from, taps);
        expect(got.constructor).toBe(ctor);
        expect(got.length).toBe(count(to));
        expect(firstDifference(got, oracle.resampleLabelsTaps(data, from, taps)), `case ${c}`).toBe(-1);
      }
    });
  }

  it('the result does not depend on the number of threads; `out` is overwritten; async agrees', async () => {
    const r = prng(17);
    const from: Size3 = [30, 26, 12];
    const to: Size3 = [41, 33, 29];
    const data = randomLabels(Int32Array, labelTypes[3].values, from, r);
    const taps = [0, 1, 2].map((a) => randomTaps(r, from[a], to[a])) as [
      native.AxisTaps,
      native.AxisTaps,
      native.AxisTaps,
    ];
    const expected = oracle.resampleLabelsTaps(data, from, taps);
    const addon = native.loadNative();
    const index = Int32Array.from([...taps[0].index, ...taps[1].index, ...taps[2].index]);
    const weight = Float32Array.from([...taps[0].weight, ...taps[1].weight, ...taps[2].weight]);
    for (const threads of [1, 2, 5, 0]) {
      const out = new Int32Array(count(to)).fill(-9);
      expect(addon.resampleLabelsTaps(data, from, to, index, weight, out, threads)).toBe(out);
      expect(firstDifference(out, expected)).toBe(-1);
    }
    const reused = new Int32Array(count(to)).fill(3);
    expect(native.resampleLabelsTaps(data, from, taps, reused)).toBe(reused);
    const results = await Promise.all([1, 2, 3].map(() => native.resampleLabelsTapsAsync(data, from, taps)));
    for (const out of results) expect(firstDifference(out, expected)).toBe(-1);
  });

  it('fmaf rounds once: the double-rounding midpoints of a * b + c', () => {
    // 1 + 2^-24 is the midpoint between 1 and the next float32 (1 + 2^-23). Adding +-2^-60 to
    // c (no longer a float32: it is the rounding logic that is tested) puts the exact sum just
    // above or below it, where the double sum is the midpoint itself.
    const a = 1 + 2 ** -12;
    const b = 1 + 2 ** -12; // a * b = 1 + 2^-11 + 2^-24
    expect(oracle.fmaf(a, b, -(2 ** -11))).toBe(1); // exactly the midpoint: ties to even
    expect(oracle.fmaf(a, b, -(2 ** -11) + 2 ** -60)).toBe(1 + 2 ** -23);
    expect(oracle.fmaf(a, b, -(2 ** -11) - 2 ** -60)).toBe(1);
    expect(oracle.fmaf(1000, 0.5, 0.25)).toBe(500.25);
  });
});

describe('resampleLabelsTaps argument checks', () => {
  const addon = native.loadNative() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const data = new Uint8Array(24);
  const size = [2, 3, 4];
  const to = [1, 2, 3];
  const index = new Int32Array(12); // 2 * (1 + 2 + 3)
  const weight = new Float32Array(12).fill(0.5);
  const good = [data, size, to, index, weight, null, 0];
  const withArg = (i: number, value: unknown) => good.map((v, n) => (n === i ? value : v));
  const withIndex = (at: number, value: number) => {
    const copy = index.slice();
    copy[at] = value;
    return withArg(3, copy);
  };
  const withWeight = (at: number, value: number) => {
    const copy = weight.slice();
    copy[at] = value;
    return withArg(4, copy);
  };
  const bad: [string, unknown[], ErrorConstructor, RegExp][] = [
    ['too few arguments', good.slice(0, 6), TypeError, /expects 7/],
    ['float data', withArg(0, new Float32Array(24)), TypeError, /data must be/],
    ['index of another type', withArg(3, new Uint32Array(12)), TypeError, /index must be a Int32Array/],
    [
      'index of the wrong length',
      withArg(3, new Int32Array(10)),
      RangeError,
      /index has 10 elements but must have 12/,
    ],
    ['weight of another type', withArg(4, new Float64Array(12)), TypeError, /weight must be a Float32Array/],
    [
      'an x index past the input',
      withIndex(1, 2),
      RangeError,
      /index\[1\] = 2 \(axis x\) is outside the input's 0..1/,
    ],
    ['a negative y index', withIndex(3, -1), RangeError, /index\[3\] = -1 \(axis y\)/],
    ['a z index past the input', withIndex(11, 4), RangeError, /index\[11\] = 4 \(axis z\)/],
    [
      'a weight above 1',
      withWeight(5, 1.5),
      RangeError,
      /weight\[5\] = 1.5 \(axis y\) must be a number in \[0, 1\]/,
    ],
    ['a negative weight', withWeight(0, -0.25), RangeError, /weight\[0\] = -0.25 \(axis x\)/],
    ['a NaN weight', withWeight(7, NaN), RangeError, /weight\[7\] = nan \(axis z\)/i],
    [
      'targetSize above 2^31 voxels',
      withArg(2, [65536, 32768, 2]),
      RangeError,
      /at most 2\^31 are supported/,
    ],
    ['out of another type', withArg(5, new Int16Array(6)), TypeError, /out must be null or of the same type/],
    ['out sharing memory with data', withArg(5, data.subarray(0, 6)), RangeError, /must not share memory/],
  ];
  for (const [what, args, type, message] of bad) {
    it(`${what}: sync and async throw ${type.name}`, () => {
      expect(() => addon.resampleLabelsTaps(...args)).toThrow(type);
      expect(() => addon.resampleLabelsTaps(...args)).toThrow(message);
      expect(() => addon.resampleLabelsTapsAsync(...args)).toThrow(type);
    });
  }

  it('the wrappers check the tables and reject (async) with the same errors', async () => {
    const taps = (n: number) => ({ index: new Int32Array(2 * n), weight: new Float32Array(2 * n) });
    expect(() => native.resampleLabelsTaps(data, [2, 3, 4], [taps(1), taps(2)] as never)).toThrow(TypeError);
    expect(() =>
      native.resampleLabelsTaps(
        data,
        [2, 3, 4],
        [taps(1), { index: new Int32Array(3), weight: new Float32Array(3) }, taps(3)],
      ),
    ).toThrow(/taps\[1\] must hold 2 indices and 2 weights per target voxel/);
    await expect(
      native.resampleLabelsTapsAsync(
        data,
        [2, 3, 4],
        [taps(1), taps(2), { index: new Int32Array(6), weight: new Float32Array(4) }],
      ),
    ).rejects.toThrow(RangeError);
    const ok = native.resampleLabelsTaps(data, [2, 3, 4], [taps(1), taps(2), taps(3)]);
    expect(ok.length).toBe(6);
  });
});
