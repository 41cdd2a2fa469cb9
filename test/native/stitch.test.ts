/**
 * The Gaussian importance map and the stitching accumulator of the addon (src/gaussian.*,
 * src/stitch*) against their TypeScript oracle (test/oracles/stitch.ts), scipy's
 * gaussian_filter (python3 with numpy and scipy; skipped with a message where absent), and
 * analytic cases. Grids are in the model's (H, W, D) order, C order.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

import { planWindows } from '../../functions/lib/medal-s/windows.js';
import * as native from '../../native/index.js';
import type { Hwd, LabelArray } from '../../native/index.js';
import * as oracle from '../oracles/index.js';
import { countTurns, extents } from './fixtures.js';
import { prng } from '../helpers/prng.js';
import { findPython, runPython } from '../helpers/python.js';

const python = findPython(['numpy', 'scipy.ndimage']);
if (python === null) {
  console.warn(
    'native/stitch.test.ts: the scipy comparisons are SKIPPED, no python3 with numpy and scipy found ' +
      '(tried $MEDALS_PYTHON, python3, /usr/bin/python3)',
  );
}

/** Roughly normal logits with standard deviation `sd` (sum of 4 uniforms). */
function randomLogits(length: number, sd: number, seed: number): Float32Array {
  const r = prng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = (r() + r() + r() + r() - 2) * sd * 1.7320508;
  return out;
}

const count = (s: Hwd) => s[0] * s[1] * s[2];

/** Largest relative difference |a - e| / |e| (absolute where e is 0); NaN must match NaN. */
function maxRelative(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      if (Number.isNaN(e) !== Number.isNaN(a)) return Infinity;
      continue;
    }
    const d = Math.abs(a - e) / (e === 0 ? 1 : Math.abs(e));
    if (d > worst) worst = d;
  }
  return worst;
}

/** Byte-for-byte equality of two float arrays (NaN payloads and -0 included), with a useful message. */
function expectSameFloats(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) {
      expect(actual[i], `${what}[${i}] (relative ${maxRelative([actual[i]], [expected[i]])})`).toBe(
        expected[i],
      );
    }
  }
}

interface State {
  sums: Float32Array[];
  weights: Float32Array;
}

function emptyState(grid: Hwd, classes: number): State {
  return {
    sums: Array.from({ length: classes }, () => new Float32Array(count(grid))),
    weights: new Float32Array(count(grid)),
  };
}

describe('gaussianImportance', () => {
  const patches: Hwd[] = extents('32x32x16 224x224x128 192x192x192 5x7x9 33x17x11 1x4x3 2x2x2 128x96x48');

  const maps = new Map<string, Float32Array>();
  const nativeMap = (patch: Hwd) => {
    const key = patch.join('x');
    if (!maps.has(key)) maps.set(key, native.gaussianImportance(patch));
    return maps.get(key)!;
  };

  it('native equals the oracle (float16 values, zeros replaced)', () => {
    for (const patch of [...patches.filter((p) => count(p) < 1e6), [64, 48, 40] as Hwd]) {
      const n = nativeMap(patch);
      const o = oracle.gaussianImportance(patch);
      expect(n.length).toBe(count(patch));
      expect(maxRelative(n, o), `patch ${patch.join('x')}`).toBeLessThanOrEqual(1e-6);
    }
  });

  it('peaks at 10 in the centre, is positive everywhere and holds float16 numbers', () => {
    for (const patch of patches) {
      const g = nativeMap(patch);
      const [ph, pw, pd] = patch;
      const centre = (Math.floor(ph / 2) * pw + Math.floor(pw / 2)) * pd + Math.floor(pd / 2);
      expect(g[centre]).toBe(10);
      let max = 0;
      let min = Infinity;
      for (let i = 0; i < g.length; i++) {
        max = Math.max(max, g[i]);
        min = Math.min(min, g[i]);
      }
      expect(max).toBe(10);
      expect(min).toBeGreaterThan(0);
      let halves = true;
      for (let i = 0; i < g.length; i += 997) halves &&= oracle.roundToHalf(g[i]) === g[i];
      expect(halves).toBe(true);
    }
    // 128^3: the corners underflow float16 and take the smallest non-zero value, the smallest subnormal.
    expect(nativeMap([128, 128, 128])[0]).toBe(2 ** -24);
  });

  it.skipIf(python === null)('matches scipy.ndimage.gaussian_filter + astype(float16) to 1e-6', () => {
    // compute_gaussian as in Medal S's inference.py, written out here: impulse, filter, / max * 10,
    // float16, zeros -> smallest non-zero. Sent back as float32 (exact for float16 numbers).
    const scipyPatches = patches.filter((p) => p[0] !== 192);
    const script = `
import sys, json, numpy as np
from scipy.ndimage import gaussian_filter
for k, p in enumerate(${JSON.stringify(scipyPatches)}):
    tmp = np.zeros(p)
    tmp[tuple(i // 2 for i in p)] = 1
    g = gaussian_filter(tmp, [i * (1. / 8) for i in p], 0, mode='constant', cval=0)
    g = g / np.max(g) * 10
    g = g.astype(np.float16)
    g[g == 0] = np.min(g[g != 0])
    np.save(f'{sys.argv[1]}/out_g{k}.npy', g.astype(np.float32))
print(json.dumps({'numpy': np.__version__}))
`;
    const result = runPython<{ numpy: string }>(python!, script);
    scipyPatches.forEach((patch, k) => {
      const reference = result.arrays[`g${k}`];
      expect(reference.shape).toEqual([...patch]);
      const worst = maxRelative(nativeMap(patch), reference.data);
      expect(
        worst,
        `patch ${patch.join('x')} against scipy (numpy ${result.json.numpy})`,
      ).toBeLessThanOrEqual(1e-6);
    });
  });

  it('rejects a bad patch', () => {
    const raw = native.loadNative();
    expect(() => raw.gaussianImportance([0, 4, 4])).toThrow(RangeError);
    expect(() => raw.gaussianImportance([4, 4] as unknown as Hwd)).toThrow(RangeError);
    expect(() => raw.gaussianImportance('4' as unknown as Hwd)).toThrow(TypeError);
    expect(() => raw.gaussianImportance([4, 4, 4.5])).toThrow(/patch\[2\]/);
  });
});

describe('float16 helpers of the oracle', () => {
  it('decode and round as IEEE binary16', () => {
    expect(oracle.halfToFloat(0x3c00)).toBe(1);
    expect(oracle.halfToFloat(0xc000)).toBe(-2);
    expect(oracle.halfToFloat(0x0001)).toBe(2 ** -24);
    expect(oracle.halfToFloat(0x03ff)).toBe(1023 * 2 ** -24);
    expect(oracle.halfToFloat(0x7bff)).toBe(65504);
    expect(oracle.halfToFloat(0xfc00)).toBe(-Infinity);
    expect(oracle.halfToFloat(0x7e00)).toBeNaN();
    expect(oracle.roundToHalf(1 + 2 ** -11)).toBe(1); // tie -> even
    expect(oracle.roundToHalf(1 + 3 * 2 ** -11)).toBe(1 + 2 ** -9); // tie -> even (up)
    expect(oracle.roundToHalf(65519)).toBe(65504);
    expect(oracle.roundToHalf(65520)).toBe(Infinity);
    expect(oracle.roundToHalf(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal
    expect(oracle.roundToHalf(3 * 2 ** -25)).toBe(2 ** -23);
    for (let bits = 0; bits < 0x10000; bits += 7) {
      const v = oracle.halfToFloat(bits);
      if (Number.isNaN(v)) continue;
      expect(oracle.floatToHalfBits(v)).toBe(bits);
    }
  });
});

describe('sigmoid (through a one-voxel-deep window with unit importance)', () => {
  /** The addon's sigmoid of each value: one class, patch [1, 1, n], importance 1. */
  function nativeSigmoid(values: Float32Array): Float32Array {
    const grid: Hwd = [1, 1, values.length];
    const s = emptyState(grid, 1);
    native
      .loadNative()
      .stitchAdd(
        s.sums,
        s.weights,
        grid,
        values,
        grid,
        [0, 0, 0],
        new Float32Array(values.length).fill(1),
        1,
      );
    return s.sums[0];
  }

  it('equals the oracle bit for bit and the exact sigmoid within 1e-6 relative on [-64, 64]', () => {
    const values = new Float32Array(200003);
    for (let i = 0; i < values.length; i++) values[i] = -64 + (128 * i) / (values.length - 1);
    const n = nativeSigmoid(values);
    expectSameFloats(n, Float32Array.from(values, oracle.sigmoid), 'sigmoid');
    const exact = Float64Array.from(values, (x) => 1 / (1 + Math.exp(-x)));
    expect(maxRelative(n, exact)).toBeLessThanOrEqual(1e-6);
  });

  it('clamps the logits to [-64, 64] and keeps NaN', () => {
    const values = Float32Array.from([0, -64, -100, -Infinity, 64, 1000, Infinity, NaN, 17, -17, 1e-30]);
    const n = nativeSigmoid(values);
    expect(n[0]).toBe(0.5);
    expect(n[2]).toBe(n[1]);
    expect(n[3]).toBe(n[1]);
    expect(maxRelative([n[1]], [1 / (1 + Math.exp(64))])).toBeLessThanOrEqual(1e-6);
    expect([n[4], n[5], n[6], n[8]]).toEqual([1, 1, 1, 1]);
    expect(n[7]).toBeNaN();
    expect(n[9]).toBeCloseTo(1 / (1 + Math.exp(17)), 12);
    expect(n[10]).toBe(0.5);
    expectSameFloats(n, Float32Array.from(values, oracle.sigmoid), 'special values');
  });
});

describe('stitching: native against the oracle', () => {
  const grid: Hwd = [37, 29, 23];
  const patch: Hwd = [16, 12, 10];
  const classes = 5;

  /** planWindows over the grid plus a few random offsets: overlaps of every multiplicity. */
  function offsets(seed: number): Hwd[] {
    const r = prng(seed);
    const list: Hwd[] = planWindows(grid as [number, number, number], patch as [number, number, number]);
    for (let i = 0; i < 6; i++) {
      list.push([0, 1, 2].map((a) => Math.floor(r() * (grid[a] - patch[a] + 1))) as unknown as Hwd);
    }
    return list;
  }

  const cache = new Map<string, State>();
  /** The state after every window of `seed` (a fresh copy; the adds run once per key). */
  function run(impl: 'native' | 'oracle', seed: number, threads = 0): State {
    const key = `${impl} ${seed} ${threads}`;
    if (!cache.has(key)) cache.set(key, accumulate(impl, seed, threads));
    const s = cache.get(key)!;
    return { sums: s.sums.map((a) => a.slice()), weights: s.weights.slice() };
  }

  function accumulate(impl: 'native' | 'oracle', seed: number, threads: number): State {
    const s = emptyState(grid, classes);
    const importance = oracle.gaussianImportance(patch);
    offsets(seed).forEach((offset, k) => {
      const logits = randomLogits(classes * count(patch), 4, seed * 100 + k);
      if (impl === 'native') {
        native.loadNative().stitchAdd(s.sums, s.weights, grid, logits, patch, offset, importance, threads);
      } else {
        oracle.stitchAdd(s.sums, s.weights, grid, logits, patch, offset, importance);
      }
    });
    return s;
  }

  it('accumulates the same sums and weights (bit for bit, so within 1e-6 relative)', () => {
    for (const seed of [1, 2, 3]) {
      const n = run('native', seed);
      const o = run('oracle', seed);
      expectSameFloats(n.weights, o.weights, 'weights');
      for (let c = 0; c < classes; c++) expectSameFloats(n.sums[c], o.sums[c], `sums[${c}]`);
    }
  });

  it('does not depend on the thread count', () => {
    const one = run('native', 4, 1);
    for (const threads of [2, 3, 16]) {
      const many = run('native', 4, threads);
      expectSameFloats(many.weights, one.weights, `weights, ${threads} threads`);
      for (let c = 0; c < classes; c++)
        expectSameFloats(many.sums[c], one.sums[c], `sums[${c}], ${threads} threads`);
    }
  });

  const labelCases: { ctor: new (n: number) => LabelArray; values: number[] }[] = [
    { ctor: Uint8Array, values: [1, 2, 3, 4, 255] },
    { ctor: Int16Array, values: [7, -3, 300, -32768, 32767] },
    { ctor: Uint16Array, values: [65535, 2, 1000, 3, 9] },
    { ctor: Int32Array, values: [-1, 70000, 5, -2147483648, 2147483647] },
  ];

  for (const { ctor, values } of labelCases) {
    it(`finalizes to the same probabilities, labels (${ctor.name}) and max probabilities`, () => {
      for (const [threshold, write] of [
        [0.5, false],
        [0.5, true],
        [0.3, true],
        [0.93, false],
      ] as const) {
        const n = run('native', 5);
        const o = run('oracle', 5);
        const voxels = count(grid);
        const nl = new ctor(voxels);
        const ol = new ctor(voxels);
        const nm = new Float32Array(voxels);
        const om = new Float32Array(voxels);
        const v = Int32Array.from(values);
        native.loadNative().stitchFinalize(n.sums, n.weights, grid, v, threshold, write, nl, nm, 0);
        oracle.stitchFinalize(o.sums, o.weights, grid, v, threshold, write, ol, om);
        expect(Array.from(nl)).toEqual(Array.from(ol));
        expect(maxRelative(nm, om)).toBeLessThanOrEqual(1e-6);
        expectSameFloats(nm, om, 'maxProbability');
        for (let c = 0; c < classes; c++) expectSameFloats(n.sums[c], o.sums[c], `probabilities[${c}]`);
        // Every label value and the background occur, for a meaningful comparison.
        if (threshold === 0.5) for (const value of [0, ...values]) expect(Array.from(nl)).toContain(value);
      }
    });
  }

  it('float16 logits give exactly the float32 result of the same values', () => {
    const r = prng(77);
    const s16 = emptyState(grid, classes);
    const s32 = emptyState(grid, classes);
    const importance = native.gaussianImportance(patch);
    const raw = native.loadNative();
    for (const offset of offsets(8)) {
      const half = new Uint16Array(classes * count(patch));
      for (let i = 0; i < half.length; i++) {
        // Mostly ordinary logits, some subnormals, zeros of both signs, infinities and big values.
        const kind = r();
        const sign = r() < 0.5 ? 0x8000 : 0;
        if (kind < 0.8)
          half[i] = sign | (0x3000 + Math.floor(r() * 0x1c00)); // |x| in [2^-3, 2^4)
        else if (kind < 0.9)
          half[i] = sign | Math.floor(r() * 0x7c00); // any finite
        else if (kind < 0.95)
          half[i] = sign | Math.floor(r() * 0x400); // subnormal
        else half[i] = [0x0000, 0x8000, 0x7c00, 0xfc00, 0x7bff, 0xfbff][Math.floor(r() * 6)];
      }
      const float = Float32Array.from(half, oracle.halfToFloat);
      raw.stitchAdd(s16.sums, s16.weights, grid, half, patch, offset, importance, 0);
      raw.stitchAdd(s32.sums, s32.weights, grid, float, patch, offset, importance, 0);
    }
    expectSameFloats(s16.weights, s32.weights, 'weights');
    for (let c = 0; c < classes; c++) expectSameFloats(s16.sums[c], s32.sums[c], `sums[${c}]`);
  });

  it('handles rows shorter than a vector and patches of one voxel', () => {
    for (const [g, p] of [extents('5x4x3 2x3x3'), extents('3x3x1 1x1x1'), extents('2x9x7 2x5x7')]) {
      const n = emptyState(g, 2);
      const o = emptyState(g, 2);
      const importance = oracle.gaussianImportance(p);
      let k = 0;
      // Every position the window fits at: overlaps of every multiplicity.
      for (let h = 0; h + p[0] <= g[0]; h++) {
        for (let w = 0; w + p[1] <= g[1]; w++) {
          for (let d = 0; d + p[2] <= g[2]; d++) {
            const logits = randomLogits(2 * count(p), 3, k++);
            native.loadNative().stitchAdd(n.sums, n.weights, g, logits, p, [h, w, d], importance, 0);
            oracle.stitchAdd(o.sums, o.weights, g, logits, p, [h, w, d], importance);
          }
        }
      }
      expectSameFloats(n.weights, o.weights, 'weights');
      for (let c = 0; c < 2; c++) expectSameFloats(n.sums[c], o.sums[c], `sums[${c}]`);
    }
  });
});

describe('stitching: every instruction set gives the same numbers', () => {
  // A seeded workload written as plain JavaScript, run in child processes with the vector loops
  // capped by MEDALS_STITCH_ISA and here with the oracle: float32 and float16 logits, rows with a
  // vector tail (pd = 37), finalize with probabilities. Prints a hash of every output.
  const workload = `
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const grid = [23, 31, 45], patch = [9, 20, 37], N = 3, V = 23 * 31 * 45, P = 9 * 20 * 37;
    const sums = [0, 1, 2].map(() => new Float32Array(V)), weights = new Float32Array(V);
    const g = a.gaussianImportance(patch);
    for (let k = 0; k < 12; k++) {
      const offset = [0, 1, 2].map((i) => Math.floor(rand() * (grid[i] - patch[i] + 1)));
      if (k % 2 === 0) {
        const logits = new Float32Array(N * P);
        for (let i = 0; i < logits.length; i++) logits[i] = (rand() - 0.5) * 24;
        a.stitchAdd(sums, weights, grid, logits, patch, offset, g, 0);
      } else {
        const logits = new Uint16Array(N * P);
        for (let i = 0; i < logits.length; i++) logits[i] = Math.floor(rand() * 0x7c00) | (rand() < 0.5 ? 0x8000 : 0);
        a.stitchAdd(sums, weights, grid, logits, patch, offset, g, 0);
      }
    }
    const labels = new Int16Array(V), max = new Float32Array(V);
    a.stitchFinalize(sums, weights, grid, Int32Array.from([5, -7, 9]), 0.5, true, labels, max, 0);
    let h = 2166136261;
    for (const arr of [...sums, weights, labels, max]) {
      const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
      for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619) >>> 0;
    }
    return h;
  `;

  it('base, avx2 and the best available all equal the oracle', () => {
    const viaOracle = {
      gaussianImportance: oracle.gaussianImportance,
      stitchAdd: (...args: unknown[]) => (oracle.stitchAdd as (...a: unknown[]) => void)(...args.slice(0, 7)),
      stitchFinalize: (...args: unknown[]) =>
        (oracle.stitchFinalize as (...a: unknown[]) => void)(...args.slice(0, 8)),
    };
    const expected = new Function('a', workload)(viaOracle) as number;
    const seen = new Set<string>();
    for (const isa of ['base', 'avx2', '']) {
      const script = `const a = require(${JSON.stringify(native.addonPath())});
        const h = (function (a) { ${workload} })(a);
        console.log(JSON.stringify({ isa: a.stitchInfo().instructionSet, hash: h }));`;
      const child = spawnSync(process.execPath, ['-e', script], {
        encoding: 'utf8',
        env: { ...process.env, MEDALS_STITCH_ISA: isa },
      });
      expect(child.stderr).toBe('');
      const { isa: used, hash } = JSON.parse(child.stdout) as { isa: string; hash: number };
      seen.add(used);
      expect(hash, `instruction set ${used}`).toBe(expected);
    }
    console.log(`native-stitch: instruction sets compared with the oracle: ${[...seen].join(', ')}`);
  });
});

describe('StitchAccumulator', () => {
  const grid: Hwd = [70, 45, 33];
  const patch: Hwd = [32, 24, 16];

  it('covers a non-cubic grid with planWindows; a constant field stitches back to sigmoid(c)', () => {
    const windows = planWindows(grid as [number, number, number], patch as [number, number, number]);
    expect(windows.length).toBeGreaterThan(8);
    for (const c of [0, -3, 2.5]) {
      const acc = new native.StitchAccumulator(grid, 3, patch);
      const logits = new Float32Array(3 * count(patch)).fill(c);
      for (const offset of windows) acc.add(logits, offset);
      expect(acc.weights.every((w) => w > 0)).toBe(true);
      const result = acc.finalize({ values: [4, 5, 6], probabilities: true });
      const expected = oracle.sigmoid(Math.fround(c));
      for (const p of result.probabilities!) {
        if (c === 0) {
          // 0.5 * g is exact and the sums scale by 1/2 exactly: exactly 0.5.
          expect(p.every((v) => v === 0.5)).toBe(true);
        } else {
          expect(maxRelative(p, new Float32Array(p.length).fill(expected))).toBeLessThanOrEqual(1e-6);
          expect(maxRelative(p, new Float64Array(p.length).fill(1 / (1 + Math.exp(-c))))).toBeLessThanOrEqual(
            1e-6,
          );
        }
      }
      // Equal probabilities in every class: the tie goes to the first class when >= 0.5.
      expect(result.labels).toBeInstanceOf(Uint8Array);
      expect(result.labels.every((l) => l === (expected >= 0.5 ? 4 : 0))).toBe(true);
      expect(
        maxRelative(result.maxProbability!, new Float32Array(count(grid)).fill(expected)),
      ).toBeLessThanOrEqual(1e-6);
    }
  });

  it('takes the class with the highest constant logit; float16 input gives the same maps', () => {
    const windows = planWindows(grid as [number, number, number], patch as [number, number, number]);
    const constants = [-1, 3, 3, 0.5];
    const f32 = new Float32Array(4 * count(patch));
    constants.forEach((c, k) => f32.fill(c, k * count(patch), (k + 1) * count(patch)));
    const f16 = Uint16Array.from(f32, oracle.floatToHalfBits);
    const a = new native.StitchAccumulator(grid, 4, patch);
    const b = new native.StitchAccumulator(grid, 4, patch, { threads: 1 });
    for (const offset of windows) {
      a.add(f32, offset);
      b.add(f16, offset);
    }
    const ra = a.finalize();
    const rb = b.finalize({ labels: new Int32Array(count(grid)) });
    expect(ra.labels.every((l) => l === 2)).toBe(true); // class index 1 (tie with 2 -> lower), value 2
    expect(Array.from(rb.labels)).toEqual(Array.from(ra.labels));
    expectSameFloats(rb.maxProbability!, ra.maxProbability!, 'maxProbability');
    expect(ra.probabilities).toBeNull();
  });

  it('leaves uncovered voxels at probability 0 and label 0; picks label types from the values', () => {
    const acc = new native.StitchAccumulator([10, 10, 10], 2, [4, 4, 4]);
    acc.add(new Float32Array(2 * 64).fill(5), [0, 0, 0]);
    const r = acc.finalize({ values: [300, 7] });
    expect(r.labels).toBeInstanceOf(Uint16Array);
    expect(r.labels[0]).toBe(300);
    expect(r.labels[999]).toBe(0);
    expect(r.maxProbability![999]).toBe(0);
    expect(acc.finalize({ values: [-1, 7] }).labels).toBeInstanceOf(Int16Array);
    expect(acc.finalize({ values: [70000, 7] }).labels).toBeInstanceOf(Int32Array);
    expect(acc.finalize({ maxProbability: false }).maxProbability).toBeNull();
    // Without probabilities the sums are untouched: more windows may follow.
    acc.add(new Float32Array(2 * 64).fill(-5), [6, 6, 6]);
    expect(acc.finalize().labels[999]).toBe(0);
    acc.finalize({ probabilities: true });
    expect(() => acc.add(new Float32Array(2 * 64), [0, 0, 0])).toThrow(/finalized/);
  });

  it('async calls queue, give the sync results, and keep the event loop turning', async () => {
    const big: Hwd = [72, 72, 48];
    const p: Hwd = [48, 48, 32];
    const windows = planWindows(big as [number, number, number], p as [number, number, number]);
    const classes = 4;
    const logits = windows.map((_, k) => randomLogits(classes * count(p), 3, 500 + k));
    const sync = new native.StitchAccumulator(big, classes, p);
    windows.forEach((offset, k) => sync.add(logits[k], offset));
    const expected = sync.finalize({ probabilities: true });

    const acc = new native.StitchAccumulator(big, classes, p, { threads: 1 });
    const turns = countTurns();
    const adds = windows.map((offset, k) => acc.addAsync(logits[k], offset));
    expect(() => acc.add(logits[0], [0, 0, 0])).toThrow(/async call is still running/);
    const finalized = acc.finalizeAsync({ probabilities: true });
    await Promise.all(adds);
    const result = await finalized;
    expect(turns.stop()).toBeGreaterThan(2);
    expect(Array.from(result.labels)).toEqual(Array.from(expected.labels));
    for (let c = 0; c < classes; c++) {
      expectSameFloats(result.probabilities![c], expected.probabilities![c], `probabilities[${c}]`);
    }
    await expect(acc.addAsync(logits[0], [0, 0, 0])).rejects.toThrow(/finalized/);
  });

  it('rejects bad construction and bad async arguments', async () => {
    expect(() => new native.StitchAccumulator([10, 10, 0], 2, [4, 4, 4])).toThrow(RangeError);
    expect(() => new native.StitchAccumulator([10, 10, 10], 0, [4, 4, 4])).toThrow(RangeError);
    expect(() => new native.StitchAccumulator([10, 10, 10], 2, [4, 4] as unknown as Hwd)).toThrow(RangeError);
    const acc = new native.StitchAccumulator([10, 10, 10], 2, [4, 4, 4]);
    await expect(acc.addAsync(new Float32Array(64), [0, 0, 0])).rejects.toThrow(RangeError);
    await expect(acc.addAsync(new Float32Array(128), [7, 0, 0])).rejects.toThrow(/does not fit/);
    // A failed call does not block the queue.
    await expect(acc.addAsync(new Float32Array(128), [6, 6, 6])).resolves.toBeUndefined();
    await expect(acc.finalizeAsync({ values: [1] })).rejects.toThrow(/values has 1 elements but must have 2/);
    await expect(acc.finalizeAsync({ values: [1, 256], labels: new Uint8Array(1000) })).rejects.toThrow(
      /values\[1\] = 256 does not fit/,
    );
  });
});

describe('stitching: argument checks of the raw addon', () => {
  const raw = native.loadNative();
  const grid: Hwd = [8, 6, 5];
  const patch: Hwd = [4, 3, 2];
  const voxels = count(grid);
  const good = () => {
    const s = emptyState(grid, 2);
    return {
      sums: s.sums,
      weights: s.weights,
      logits: new Float32Array(2 * count(patch)) as Float32Array | Uint16Array,
      importance: new Float32Array(count(patch)).fill(1),
    };
  };
  type BadCall = [string, (a: ReturnType<typeof good>) => unknown[], RegExp, ErrorConstructor];

  /** Each bad call throws its message and type from `fn`, and its message from `fn`Async at once. */
  function expectErrors(fn: 'stitchAdd' | 'stitchFinalize', cases: BadCall[]): void {
    for (const [name, args, message, type] of cases) {
      const call = (f: typeof fn | `${typeof fn}Async`) => () =>
        (raw[f] as unknown as (...a: unknown[]) => unknown)(...args(good()));
      expect(call(fn), name).toThrow(message);
      expect(call(fn), name).toThrow(type);
      expect(call(`${fn}Async`), name).toThrow(message);
    }
  }

  it('stitchAdd throws TypeError or RangeError naming the argument, sync and async', () => {
    const cases: BadCall[] = [
      ['arg count', (a) => [a.sums, a.weights, grid], /expects 8 arguments/, TypeError],
      [
        'sums type',
        (a) => [a.sums[0], a.weights, grid, a.logits, patch, [0, 0, 0], a.importance, 0],
        /sums must be an Array/,
        TypeError,
      ],
      [
        'no classes',
        (a) => [[], a.weights, grid, a.logits, patch, [0, 0, 0], a.importance, 0],
        /1 to 65535 class/,
        RangeError,
      ],
      [
        'class type',
        (a) => [
          [a.sums[0], new Float64Array(voxels)],
          a.weights,
          grid,
          a.logits,
          patch,
          [0, 0, 0],
          a.importance,
          0,
        ],
        /sums\[1\] must be a Float32Array/,
        TypeError,
      ],
      [
        'class length',
        (a) => [
          [a.sums[0], new Float32Array(voxels - 1)],
          a.weights,
          grid,
          a.logits,
          patch,
          [0, 0, 0],
          a.importance,
          0,
        ],
        /sums\[1\] has 239 elements but grid \[8, 6, 5\] needs h \* w \* d = 240/,
        RangeError,
      ],
      [
        'weights type',
        (a) => [a.sums, new Uint16Array(voxels), grid, a.logits, patch, [0, 0, 0], a.importance, 0],
        /weights must be a Float32Array/,
        TypeError,
      ],
      [
        'weights length',
        (a) => [a.sums, new Float32Array(3), grid, a.logits, patch, [0, 0, 0], a.importance, 0],
        /weights has 3/,
        RangeError,
      ],
      [
        'grid',
        (a) => [a.sums, a.weights, [8, 6, -5], a.logits, patch, [0, 0, 0], a.importance, 0],
        /grid\[2\]/,
        RangeError,
      ],
      [
        'grid type',
        (a) => [a.sums, a.weights, '8,6,5', a.logits, patch, [0, 0, 0], a.importance, 0],
        /grid must be an Array/,
        TypeError,
      ],
      [
        'logits type',
        (a) => [a.sums, a.weights, grid, new Float64Array(48), patch, [0, 0, 0], a.importance, 0],
        /logits must be a Float32Array or a Uint16Array/,
        TypeError,
      ],
      [
        'logits int16',
        (a) => [a.sums, a.weights, grid, new Int16Array(48), patch, [0, 0, 0], a.importance, 0],
        /logits must be/,
        TypeError,
      ],
      [
        'class count',
        (a) => [a.sums, a.weights, grid, new Float32Array(3 * 24), patch, [0, 0, 0], a.importance, 0],
        /logits has 72 elements but 2 classes of patch \[4, 3, 2\] need/,
        RangeError,
      ],
      [
        'half length',
        (a) => [a.sums, a.weights, grid, new Uint16Array(47), patch, [0, 0, 0], a.importance, 0],
        /logits has 47/,
        RangeError,
      ],
      [
        'patch',
        (a) => [a.sums, a.weights, grid, a.logits, [4, 3, 0], [0, 0, 0], a.importance, 0],
        /patch\[2\]/,
        RangeError,
      ],
      [
        'importance length',
        (a) => [a.sums, a.weights, grid, new Float32Array(2 * 36), [4, 3, 3], [0, 0, 0], a.importance, 0],
        /importance has 24 elements but must have 36/,
        RangeError,
      ],
      [
        'importance type',
        (a) => [a.sums, a.weights, grid, a.logits, patch, [0, 0, 0], new Float64Array(24), 0],
        /importance must be a Float32Array/,
        TypeError,
      ],
      [
        'offset negative',
        (a) => [a.sums, a.weights, grid, a.logits, patch, [0, -1, 0], a.importance, 0],
        /offset\[1\]/,
        RangeError,
      ],
      [
        'offset fraction',
        (a) => [a.sums, a.weights, grid, a.logits, patch, [0.5, 0, 0], a.importance, 0],
        /offset\[0\]/,
        RangeError,
      ],
      [
        'offset outside',
        (a) => [a.sums, a.weights, grid, a.logits, patch, [4, 3, 4], a.importance, 0],
        /window at offset \[4, 3, 4\] of size \[4, 3, 2\] does not fit in the grid \[8, 6, 5\]/,
        RangeError,
      ],
      [
        'offset far outside',
        (a) => [a.sums, a.weights, grid, a.logits, patch, [2 ** 52, 0, 0], a.importance, 0],
        /does not fit/,
        RangeError,
      ],
      [
        'threads',
        (a) => [a.sums, a.weights, grid, a.logits, patch, [0, 0, 0], a.importance, -1],
        /threads/,
        RangeError,
      ],
      [
        'threads type',
        (a) => [a.sums, a.weights, grid, a.logits, patch, [0, 0, 0], a.importance, '2'],
        /threads/,
        TypeError,
      ],
      [
        'same class twice',
        (a) => [[a.sums[0], a.sums[0]], a.weights, grid, a.logits, patch, [0, 0, 0], a.importance, 0],
        /sums\[0\] and sums\[1\] must not share memory/,
        RangeError,
      ],
      [
        'weights is a class',
        (a) => [a.sums, a.sums[1], grid, a.logits, patch, [0, 0, 0], a.importance, 0],
        /must not share memory/,
        RangeError,
      ],
      [
        'logits inside sums',
        (a) => [a.sums, a.weights, grid, a.sums[0].subarray(0, 48), patch, [0, 0, 0], a.importance, 0],
        /sums\[0\] and logits must not share memory/,
        RangeError,
      ],
    ];
    expectErrors('stitchAdd', cases);
    // A good call passes.
    const a = good();
    expect(
      raw.stitchAdd(a.sums, a.weights, grid, a.logits, patch, [4, 3, 3], a.importance, 0),
    ).toBeUndefined();
  });

  it('stitchFinalize throws TypeError or RangeError naming the argument', () => {
    const v = Int32Array.from([1, 2]);
    const cases: BadCall[] = [
      ['arg count', (a) => [a.sums, a.weights, grid, v], /expects 9 arguments/, TypeError],
      [
        'values type',
        (a) => [a.sums, a.weights, grid, [1, 2], 0.5, false, new Uint8Array(voxels), null, 0],
        /values must be a Int32Array/,
        TypeError,
      ],
      [
        'values length',
        (a) => [a.sums, a.weights, grid, Int32Array.from([1]), 0.5, false, new Uint8Array(voxels), null, 0],
        /values has 1 elements but must have 2/,
        RangeError,
      ],
      [
        'threshold',
        (a) => [a.sums, a.weights, grid, v, NaN, false, new Uint8Array(voxels), null, 0],
        /threshold must be a finite number/,
        RangeError,
      ],
      [
        'threshold type',
        (a) => [a.sums, a.weights, grid, v, '0.5', false, new Uint8Array(voxels), null, 0],
        /threshold/,
        TypeError,
      ],
      [
        'write flag',
        (a) => [a.sums, a.weights, grid, v, 0.5, 1, new Uint8Array(voxels), null, 0],
        /writeProbabilities must be a boolean/,
        TypeError,
      ],
      [
        'labels type',
        (a) => [a.sums, a.weights, grid, v, 0.5, false, new Float32Array(voxels), null, 0],
        /labels must be a Uint8Array, Int16Array, Uint16Array or Int32Array/,
        TypeError,
      ],
      [
        'labels uint32',
        (a) => [a.sums, a.weights, grid, v, 0.5, false, new Uint32Array(voxels), null, 0],
        /labels must be/,
        TypeError,
      ],
      [
        'labels length',
        (a) => [a.sums, a.weights, grid, v, 0.5, false, new Uint8Array(voxels + 1), null, 0],
        /labels has 241 elements/,
        RangeError,
      ],
      [
        'value range',
        (a) => [
          a.sums,
          a.weights,
          grid,
          Int32Array.from([1, -1]),
          0.5,
          false,
          new Uint16Array(voxels),
          null,
          0,
        ],
        /values\[1\] = -1 does not fit in labels \(Uint16Array\)/,
        RangeError,
      ],
      [
        'value range int16',
        (a) => [
          a.sums,
          a.weights,
          grid,
          Int32Array.from([40000, 1]),
          0.5,
          false,
          new Int16Array(voxels),
          null,
          0,
        ],
        /values\[0\] = 40000/,
        RangeError,
      ],
      [
        'max length',
        (a) => [a.sums, a.weights, grid, v, 0.5, false, new Uint8Array(voxels), new Float32Array(5), 0],
        /maxProbability has 5/,
        RangeError,
      ],
      [
        'max type',
        (a) => [a.sums, a.weights, grid, v, 0.5, false, new Uint8Array(voxels), new Float64Array(voxels), 0],
        /maxProbability must be a Float32Array or null/,
        TypeError,
      ],
      [
        'labels over weights',
        (a) => [a.sums, a.weights, grid, v, 0.5, false, new Uint8Array(a.weights.buffer, 0, voxels), null, 0],
        /weights and labels must not share memory/,
        RangeError,
      ],
      [
        'max is a class',
        (a) => [a.sums, a.weights, grid, v, 0.5, false, new Uint8Array(voxels), a.sums[1], 0],
        /must not share memory/,
        RangeError,
      ],
    ];
    expectErrors('stitchFinalize', cases);
  });

  it('a separate process survives every bad call and exits cleanly', () => {
    const script = `
      const a = require(${JSON.stringify(native.addonPath())});
      const s = [new Float32Array(8)], w = new Float32Array(8), g = new Float32Array(1);
      const bad = [
        () => a.stitchAdd(),
        () => a.stitchAdd(s, w, [2, 2, 2], new Float32Array(1), [1, 1, 1], [2, 0, 0], g, 0),
        () => a.stitchAdd(s, w, [2, 2, 2], null, [1, 1, 1], [0, 0, 0], g, 0),
        () => a.stitchAdd([null], w, [2, 2, 2], new Float32Array(1), [1, 1, 1], [0, 0, 0], g, 0),
        () => a.stitchAdd(s, w, [1e300, 1e300, 1e300], new Float32Array(1), [1, 1, 1], [0, 0, 0], g, 0),
        () => a.stitchFinalize(s, w, [2, 2, 2], new Int32Array(1), 0.5, false, new Uint8Array(7), null, 0),
        () => a.stitchFinalize(s, w, [2, 2, 2], new Int32Array(1), Infinity, false, new Uint8Array(8), null, 0),
        () => a.gaussianImportance([1e300, 1, 1]),
      ];
      let n = 0;
      for (const f of bad) { try { f(); } catch (e) { if (e instanceof TypeError || e instanceof RangeError) n++; } }
      console.log(n === bad.length ? 'ok' : 'only ' + n);
    `;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('ok');
    expect(result.status).toBe(0);
  });
});

describe('self-refinement block masks: native against the oracle', () => {
  /** A random mask over `patch`: each block selected with probability 1/2. */
  function randomMask(patch: Hwd, blockSize: number, seed: number): native.BlockMask {
    const r = prng(seed);
    const count = patch.reduce((n, p) => n * Math.ceil(p / blockSize), 1);
    return {
      blocks: Uint8Array.from({ length: count }, () => (r() < 0.5 ? 0 : 1 + Math.floor(r() * 255))),
      patch,
      blockSize,
    };
  }

  /** Random float32 values with NaN, -0 and infinities among them. */
  function randomFloats(length: number, seed: number): Float32Array {
    const r = prng(seed);
    const special = [NaN, -0, Infinity, -Infinity, 0];
    return Float32Array.from({ length }, () =>
      r() < 0.05 ? special[Math.floor(r() * special.length)] : r() * 4 - 2,
    );
  }

  const shapes: [Hwd, number, number][] = [
    [[20, 16, 9], 8, 1],
    [[7, 5, 13], 3, 2],
    [[9, 9, 9], 4, 3],
    [[1, 1, 1], 8, 2],
    [[12, 3, 17], 1, 1],
  ];

  it('blockSelect keeps the selected (or the other) blocks bit for bit, +0 elsewhere', () => {
    shapes.forEach(([patch, blockSize, channels], k) => {
      const mask = randomMask(patch, blockSize, 10 + k);
      const src = randomFloats(count(patch) * channels, 20 + k);
      for (const keep of [true, false]) {
        const expected = new Float32Array(src.length).fill(7);
        oracle.blockSelect(mask, keep, src, expected);
        const actual = new Float32Array(src.length).fill(7);
        native.blockSelect(mask, keep, src, actual);
        expectSameFloats(actual, expected, `blockSelect ${patch.join('x')} block ${blockSize} keep ${keep}`);
      }
    });
  });

  it('blockMerge takes b on the selected blocks, float32 and float16 bits', () => {
    shapes.forEach(([patch, blockSize, channels], k) => {
      const mask = randomMask(patch, blockSize, 30 + k);
      const a = randomFloats(count(patch) * channels, 40 + k);
      const b = randomFloats(count(patch) * channels, 50 + k);
      const expected = a.slice();
      oracle.blockMerge(mask, expected, b);
      const actual = a.slice();
      native.blockMerge(mask, actual, b);
      expectSameFloats(actual, expected, `blockMerge ${patch.join('x')} block ${blockSize}`);
      const r = prng(60 + k);
      const ah = Uint16Array.from(a, () => Math.floor(r() * 65536));
      const bh = Uint16Array.from(b, () => Math.floor(r() * 65536));
      const expectedHalf = ah.slice();
      oracle.blockMerge(mask, expectedHalf, bh);
      native.blockMerge(mask, ah, bh);
      expect(ah).toEqual(expectedHalf);
    });
  });

  it('the complementary selections add up to the source; merging them back gives the source', () => {
    const patch: Hwd = [24, 17, 30];
    const mask = randomMask(patch, 8, 70);
    const src = Float32Array.from({ length: count(patch) * 2 }, (_, i) => i + 1);
    const on = new Float32Array(src.length);
    const off = new Float32Array(src.length);
    native.blockSelect(mask, true, src, on);
    native.blockSelect(mask, false, src, off);
    for (let i = 0; i < src.length; i++) {
      expect(on[i] === 0 || off[i] === 0).toBe(true);
      expect(on[i] + off[i]).toBe(src[i]);
    }
    native.blockMerge(mask, off, on);
    expect(off).toEqual(src);
  });

  it('refuses bad arguments with TypeError or RangeError naming them', () => {
    const patch: Hwd = [4, 4, 4];
    const mask = randomMask(patch, 2, 80);
    const src = new Float32Array(64);
    const addon = native.loadNative();
    expect(() => addon.blockSelect(new Uint8Array(7), patch, 2, true, src, new Float32Array(64))).toThrow(
      /blockSelect: blocks has 7 elements but must have 8/,
    );
    expect(() => addon.blockSelect(mask.blocks, patch, 0, true, src, new Float32Array(64))).toThrow(
      RangeError,
    );
    expect(() => native.blockSelect(mask, true, new Float32Array(65), new Float32Array(65))).toThrow(
      /src has 65 elements, not a whole number/,
    );
    expect(() => native.blockSelect(mask, true, new Float32Array(0), new Float32Array(0))).toThrow(
      RangeError,
    );
    expect(() => native.blockSelect(mask, true, src, new Float32Array(128))).toThrow(/dst has 128 elements/);
    expect(() => native.blockSelect(mask, true, src, src)).toThrow(/must not share memory/);
    expect(() => native.blockSelect(mask, true, new Int32Array(64) as unknown as Float32Array, src)).toThrow(
      TypeError,
    );
    expect(() => native.blockMerge(mask, src, new Uint16Array(64))).toThrow(TypeError);
    expect(() => native.blockMerge(mask, src, new Float32Array(128))).toThrow(/b has 128 elements/);
    expect(() => native.blockMerge(mask, src, src.subarray(0))).toThrow(/must not share memory/);
    const blockMerge = addon.blockMerge as (...args: unknown[]) => void;
    expect(() => blockMerge(mask.blocks, patch, 2, src)).toThrow(
      /blockMerge\(blocks, patch, blockSize, a, b\) expects 5 arguments, got 4/,
    );
  });
});
