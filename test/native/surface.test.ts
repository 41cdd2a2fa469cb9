/**
 * Distance transform, neighbour codes, surfel areas and surface Dice: the addon against its
 * TypeScript oracle (brute-force nearest-feature search, codes from the definition, areas from
 * functions/lib/metrics/surfel-normals.json), and the NSD against an independent numpy + scipy
 * computation of the evaluator's procedure (skipped, with a message, without python3 + scipy).
 */
import { describe, expect, it } from 'vitest';

import * as native from '../../native/index.js';
import * as oracle from '../oracles/index.js';
import { extents } from './fixtures.js';
import type { BoundingBox, Size3, Spacing3, VoxelArray } from '../../native/index.js';
import { findPython } from '../helpers/python.js';
import { type ReferenceInput, runReference } from '../helpers/surface-reference.js';
import { prng } from '../helpers/prng.js';

const python = findPython(['numpy', 'scipy.ndimage']);
if (python === null) {
  console.warn(
    'native/surface.test.ts: python checks SKIPPED, no python3 with numpy and scipy found ' +
      '(tried $MEDALS_PYTHON, python3, /usr/bin/python3)',
  );
}

const count = (s: Size3) => s[0] * s[1] * s[2];

function noise(size: Size3, density: number, seed: number): Uint8Array {
  const r = prng(seed);
  const out = new Uint8Array(count(size));
  for (let i = 0; i < out.length; i++) if (r() < density) out[i] = 1;
  return out;
}

/** Random ellipsoids (value `value`) over `base`, as organ-like masks. */
function blobs(size: Size3, n: number, seed: number, value = 1, base?: Uint8Array): Uint8Array {
  const r = prng(seed);
  const out = base ?? new Uint8Array(count(size));
  for (let b = 0; b < n; b++) {
    const c = size.map((s) => r() * s);
    const rad = size.map((s) => 0.5 + r() * Math.max(1, s / 4));
    // ((x - c) / rad)^2 per axis, added x + y + z as the ellipsoid equation writes it (the same
    // float sums, so the same masks, as when each voxel computed all three terms).
    const [qx, qy, qz] = size.map((s, a) => Array.from({ length: s }, (_, i) => ((i - c[a]) / rad[a]) ** 2));
    for (let z = 0; z < size[2]; z++) {
      for (let y = 0; y < size[1]; y++) {
        for (let x = 0; x < size[0]; x++)
          if (qx[x] + qy[y] + qz[z] <= 1) out[x + size[0] * (y + size[1] * z)] = value;
      }
    }
  }
  return out;
}

/** A copy shifted by `shift` voxels (linear index) with 4 % of the voxels flipped. */
function perturb(mask: Uint8Array, seed: number, shift = 0): Uint8Array {
  const r = prng(seed);
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) {
    const j = i + shift < mask.length ? i + shift : i;
    out[i] = mask[j];
    if (r() < 0.04) out[i] = out[i] ? 0 : 1;
  }
  return out;
}

function convert(data: Uint8Array, type: string): VoxelArray {
  switch (type) {
    case 'int16':
      return Int16Array.from(data, (v) => v * -3);
    case 'uint16':
      return Uint16Array.from(data, (v) => v * 1000);
    case 'int32':
      return Int32Array.from(data, (v) => v * 70000);
    case 'float32':
      return Float32Array.from(data, (v) => v * 0.5);
    default:
      return data;
  }
}

const SPACINGS: Spacing3[] = [
  [1, 1, 1],
  [0.7, 1.3, 2.9],
  [2.5, 0.5, 0.8],
  [0.78125, 0.78125, 5],
];

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const b = expected[i];
    if (a === b) continue;
    const err = Math.abs(a - b) / Math.max(1, Math.abs(b));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  if (!(worst <= rel)) {
    throw new Error(`max relative error ${worst} at ${at}: ${actual[at]} vs ${expected[at]}`);
  }
}

describe('distanceTransform', () => {
  const shapes = extents('9x7x5 16x12x8 1x10x7 13x1x1 1x1x6 1x1x1');
  it('equals the brute-force nearest-voxel search (random masks, anisotropic spacing)', () => {
    let seed = 10;
    for (const size of shapes) {
      for (const density of [0.01, 0.1, 0.5, 0.95]) {
        const mask = noise(size, density, seed++);
        for (const spacing of SPACINGS) {
          const expected = oracle.distanceTransform(mask, size, spacing);
          const actual = native.distanceTransform(mask, size, spacing);
          expect(actual).toBeInstanceOf(Float32Array);
          expectClose(actual, expected, 1e-5);
        }
      }
    }
  });

  it('is exact over long lines with few features (64x48x32)', () => {
    const size: Size3 = [64, 48, 32];
    const mask = new Uint8Array(count(size));
    const r = prng(99);
    for (let k = 0; k < 25; k++) mask[Math.floor(r() * mask.length)] = 1;
    const spacing: Spacing3 = [0.9, 1.7, 3.1];
    expectClose(
      native.distanceTransform(mask, size, spacing),
      oracle.distanceTransform(mask, size, spacing),
      1e-6,
    );
  });

  it('takes every voxel type and treats NaN as on, -0 as off', () => {
    const size: Size3 = [7, 6, 5];
    const mask = noise(size, 0.1, 3);
    const expected = oracle.distanceTransform(mask, size, [1, 2, 3]);
    for (const type of ['uint8', 'int16', 'uint16', 'int32', 'float32']) {
      expectClose(native.distanceTransform(convert(mask, type), size, [1, 2, 3]), expected, 1e-6);
    }
    const f = new Float32Array(count(size)).fill(-0);
    f[5] = NaN;
    const single = new Uint8Array(count(size));
    single[5] = 1;
    expect(native.distanceTransform(f, size, [1, 1, 1])).toEqual(
      native.distanceTransform(single, size, [1, 1, 1]),
    );
  });

  it('is Infinity without features and 0 on a full mask; reuses out; async equals sync', async () => {
    const size: Size3 = [5, 4, 3];
    expect(
      [...native.distanceTransform(new Uint8Array(60), size, [1, 1, 1])].every((v) => v === Infinity),
    ).toBe(true);
    expect(
      [...native.distanceTransform(new Uint8Array(60).fill(1), size, [1, 1, 1])].every((v) => v === 0),
    ).toBe(true);
    const mask = noise(size, 0.2, 5);
    const out = new Float32Array(60).fill(-1);
    expect(native.distanceTransform(mask, size, [0.5, 1, 2], { out })).toBe(out);
    expect(out).toEqual(native.distanceTransform(mask, size, [0.5, 1, 2]));
    expect(await native.distanceTransformAsync(mask, size, [0.5, 1, 2])).toEqual(out);
  });

  it('checks its arguments', async () => {
    const raw = native.loadNative() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const m = new Uint8Array(60);
    const size: Size3 = [5, 4, 3];
    expect(() => raw.distanceTransform(m, size, [1, 1, 1])).toThrow(/distanceTransform.*expects 4 arguments/);
    expect(() => raw.distanceTransform([1], size, [1, 1, 1], null)).toThrow(TypeError);
    expect(() => raw.distanceTransform(new Uint8Array(59), size, [1, 1, 1], null)).toThrow(RangeError);
    expect(() => raw.distanceTransform(m, size, [1, 1], null)).toThrow(/spacing must have exactly 3/);
    expect(() => raw.distanceTransform(m, size, [1, 0, 1], null)).toThrow(RangeError);
    expect(() => raw.distanceTransform(m, size, [1, NaN, 1], null)).toThrow(/spacing\[1\]/);
    expect(() => raw.distanceTransform(m, size, [1, '1', 1], null)).toThrow(TypeError);
    expect(() => raw.distanceTransform(m, size, 1, null)).toThrow(TypeError);
    expect(() => raw.distanceTransform(m, size, [1, 1, 1], new Float64Array(60))).toThrow(
      /out must be a Float32Array/,
    );
    expect(() => raw.distanceTransform(m, size, [1, 1, 1], new Float32Array(61))).toThrow(RangeError);
    const shared = new Float32Array(60);
    expect(() =>
      raw.distanceTransform(new Uint8Array(shared.buffer, 0, 60), size, [1, 1, 1], shared),
    ).toThrow(/must not share memory/);
    await expect(native.distanceTransformAsync(m, size, [1, -1, 1])).rejects.toThrow(
      /distanceTransformAsync: spacing\[1\]/,
    );
  });
});

describe('neighbourCodes and surfelAreas', () => {
  it('match the definition (random masks, labels, boxes)', () => {
    let seed = 40;
    for (const size of extents('6x5x4 1x7x3 9x1x1 1x1x1')) {
      for (const density of [0.2, 0.6, 1]) {
        const r = prng(seed++);
        const labels = Uint8Array.from(noise(size, density, seed++), (v) => v * (1 + Math.floor(r() * 3)));
        const boxes: (BoundingBox | undefined)[] = [undefined];
        const lo: [number, number, number] = [0, 1, 2].map((a) => Math.floor(r() * size[a])) as [
          number,
          number,
          number,
        ];
        const hi = lo.map((l, a) => l + Math.floor(r() * (size[a] - l))) as [number, number, number];
        boxes.push({ min: lo, max: hi });
        for (const box of boxes) {
          for (const label of [undefined, 2]) {
            const actual = native.neighbourCodes(labels, size, { box, label });
            const expected = oracle.neighbourCodes(labels, size, { box, label });
            expect(actual).toEqual(expected);
          }
        }
      }
    }
  });

  it('a single voxel has the eight codes 1, 2, 4, ..., 128 around it', () => {
    const size: Size3 = [3, 3, 3];
    const m = new Uint8Array(27);
    m[13] = 1;
    const { codes, size: grid, borderCount } = native.neighbourCodes(m, size);
    expect(grid).toEqual([4, 4, 4]);
    expect(borderCount).toBe(8);
    const at = (x: number, y: number, z: number) => codes[x + 4 * (y + 4 * z)];
    // (z, y, x) numpy order of the kernel: 1 at (1,1,1); 2 at x+1; 4 at y+1; 16 at z+1; 128 at all +1
    expect([at(1, 1, 1), at(2, 1, 1), at(1, 2, 1), at(2, 2, 1)]).toEqual([1, 2, 4, 8]);
    expect([at(1, 1, 2), at(2, 1, 2), at(1, 2, 2), at(2, 2, 2)]).toEqual([16, 32, 64, 128]);
  });

  it('surfel areas of the addon equal the JSON table, for several spacings', () => {
    for (const spacing of [...SPACINGS, [0.1, 10, 3.3] as Spacing3]) {
      const a = native.surfelAreas(spacing);
      const b = oracle.surfelAreas(spacing);
      expect(a.length).toBe(256);
      expectClose(a, b, 1e-15);
      expect(a[0]).toBe(0);
      expect(a[255]).toBe(0);
    }
    // A single voxel: 8 corner codes of area sqrt(3)/8 each -> sqrt(3) in total at 1 mm.
    expect(native.surfelAreas([1, 1, 1])[1]).toBeCloseTo(Math.sqrt(3) / 8, 15);
    expect(() => native.surfelAreas([1, 1, 0] as unknown as Spacing3)).toThrow(RangeError);
  });

  it('checks its arguments', () => {
    const raw = native.loadNative() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const m = new Uint8Array(60);
    const size: Size3 = [5, 4, 3];
    expect(() => raw.neighbourCodes(m, size, 1.5, null)).toThrow(/label must be an integer/);
    expect(() => raw.neighbourCodes(m, size, null, { min: [0, 0, 0], max: [5, 0, 0] })).toThrow(
      /box.max\[0\]/,
    );
    expect(() => raw.neighbourCodes(m, size, null, { min: [2, 0, 0], max: [1, 0, 0] })).toThrow(/above/);
    expect(() => raw.neighbourCodes(m, size, null, { min: [0, 0], max: [1, 0, 0] })).toThrow(RangeError);
    expect(() => raw.neighbourCodes(m, size, null, [0, 0, 0])).toThrow(TypeError);
    expect(() => raw.neighbourCodes(m, size, null)).toThrow(TypeError);
  });
});

/** gt/pred pairs: blobs and noisy copies, shifted copies, empty and disjoint cases. */
function surfacePairs(): { name: string; size: Size3; gt: Uint8Array; pred: Uint8Array }[] {
  const pairs: { name: string; size: Size3; gt: Uint8Array; pred: Uint8Array }[] = [];
  let seed = 200;
  for (const size of extents('20x16x12 24x9x7 1x12x10 15x15x1')) {
    const gt = blobs(size, 3, seed++);
    pairs.push({ name: `noisy ${size}`, size, gt, pred: perturb(gt, seed++) });
    pairs.push({ name: `shifted ${size}`, size, gt, pred: perturb(gt, seed++, size[0] + 1) });
    pairs.push({ name: `noise ${size}`, size, gt: noise(size, 0.1, seed++), pred: noise(size, 0.1, seed++) });
  }
  const size: Size3 = [10, 8, 6];
  const some = blobs(size, 2, 7);
  const empty = new Uint8Array(count(size));
  pairs.push({ name: 'empty prediction', size, gt: some, pred: empty });
  pairs.push({ name: 'empty ground truth', size, gt: empty, pred: some });
  pairs.push({ name: 'both empty', size, gt: empty, pred: empty.slice() });
  pairs.push({ name: 'identical', size, gt: some, pred: some.slice() });
  const far = new Uint8Array(count(size));
  far[0] = 1;
  const far2 = new Uint8Array(count(size));
  far2[far2.length - 1] = 1;
  pairs.push({ name: 'two far voxels', size, gt: far, pred: far2 });
  pairs.push({ name: 'full volume', size, gt: new Uint8Array(count(size)).fill(1), pred: some });
  return pairs;
}

describe('surfaceDistances and surfaceDice', () => {
  const pairs = surfacePairs();

  it('equal the brute-force oracle', () => {
    for (const { name, size, gt, pred } of pairs) {
      for (const spacing of SPACINGS) {
        const a = native.surfaceDistances(gt, pred, size, spacing);
        const b = oracle.surfaceDistances(gt, pred, size, spacing);
        expect(a.box, name).toEqual(b.box);
        expectClose(a.distancesGtToPred, b.distancesGtToPred, 1e-12);
        expectClose(a.distancesPredToGt, b.distancesPredToGt, 1e-12);
        expectClose(a.areasGt, b.areasGt, 1e-15);
        expectClose(a.areasPred, b.areasPred, 1e-15);
        for (const tolerance of [0, 1, 2, 3.5]) {
          const d = native.surfaceDice(gt, pred, size, spacing, tolerance);
          // The evaluator's sums over the oracle's surfels.
          const within = (areas: Float64Array, dist: Float64Array) =>
            areas.reduce((acc, area, i) => (dist[i] <= tolerance ? acc + area : acc), 0);
          const total = b.areasGt.reduce((x, y) => x + y, 0) + b.areasPred.reduce((x, y) => x + y, 0);
          const nsd =
            (within(b.areasGt, b.distancesGtToPred) + within(b.areasPred, b.distancesPredToGt)) / total;
          expect(d.gtSurfels, name).toBe(b.areasGt.length);
          expect(d.predSurfels, name).toBe(b.areasPred.length);
          if (Number.isNaN(nsd)) expect(d.nsd, name).toBeNaN();
          else expect(Math.abs(d.nsd - nsd), `${name} ${spacing} ${tolerance}`).toBeLessThan(1e-12);
        }
      }
    }
    // oracle.surfaceDice itself, on one pair
    const { gt, pred, size } = pairs[0];
    const e = oracle.surfaceDice(gt, pred, size, [0.7, 1.3, 2.9], 2);
    const d = native.surfaceDice(gt, pred, size, [0.7, 1.3, 2.9], 2);
    for (const key of Object.keys(e) as (keyof typeof e)[])
      expect(Math.abs(d[key] - e[key])).toBeLessThan(1e-12);
  });

  it('tell "within the tolerance" exactly as the distances do, by offset search or EDT, with or without a box', () => {
    // Small tolerances take the search among the grid offsets within the tolerance, large ones
    // the distance transform; the sums must be those of surfaceDistances (exact distances, same
    // surfels in the same order) either way, to the last bit.
    for (const { name, size, gt, pred } of pairs) {
      for (const spacing of SPACINGS) {
        const s = native.surfaceDistances(gt, pred, size, spacing);
        const tolerances = [0, 0.5, 1.7, 2, 6, 25, 2 * spacing[0], spacing[1], 3 * spacing[2]];
        for (const tolerance of tolerances) {
          const label = `${name} ${spacing} ${tolerance}`;
          const within = (areas: Float64Array, dist: Float64Array) =>
            areas.reduce((acc, area, i) => (dist[i] <= tolerance ? acc + area : acc), 0);
          const d = native.surfaceDice(gt, pred, size, spacing, tolerance);
          expect(d.gtAreaWithin, label).toBe(within(s.areasGt, s.distancesGtToPred));
          expect(d.predAreaWithin, label).toBe(within(s.areasPred, s.distancesPredToGt));
          expect(d.gtArea, label).toBe(s.areasGt.reduce((a, b) => a + b, 0));
          if (s.box === null) continue;
          // The union box given: the same result; a larger box: the same surfels and distances.
          expect(native.surfaceDice(gt, pred, size, spacing, tolerance, { box: s.box }), label).toEqual(d);
          const whole = { min: [0, 0, 0], max: size.map((n) => n - 1) } as BoundingBox;
          const w = native.surfaceDice(gt, pred, size, spacing, tolerance, { box: whole });
          expect(w.gtSurfels, label).toBe(d.gtSurfels);
          expect(w.predSurfels, label).toBe(d.predSurfels);
          expect(Math.abs(w.nsd - d.nsd), label).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('handles empty surfaces as the evaluator: NaN for two empty masks, 0 for one', () => {
    const byName = Object.fromEntries(pairs.map((p) => [p.name, p]));
    const nsd = (name: string) => {
      const { gt, pred, size } = byName[name];
      return native.surfaceDice(gt, pred, size, [1, 1, 1], 2).nsd;
    };
    expect(nsd('both empty')).toBeNaN();
    expect(nsd('empty prediction')).toBe(0);
    expect(nsd('empty ground truth')).toBe(0);
    expect(nsd('identical')).toBe(1);
    const { gt, pred, size } = byName['empty prediction'];
    const d = native.surfaceDistances(gt, pred, size, [1, 1, 1]);
    expect(d.areasPred.length).toBe(0);
    expect([...d.distancesGtToPred].every((v) => v === Infinity)).toBe(true);
  });

  it('selects a label, takes mixed voxel types, and async equals sync', async () => {
    const size: Size3 = [12, 10, 8];
    const gt = blobs(size, 2, 31, 3, blobs(size, 2, 32, 5));
    const pred = blobs(size, 2, 33, 3, blobs(size, 3, 34, 5));
    for (const label of [3, 5]) {
      const maskG = Uint8Array.from(gt, (v) => (v === label ? 1 : 0));
      const maskP = Uint8Array.from(pred, (v) => (v === label ? 1 : 0));
      const expected = native.surfaceDice(maskG, maskP, size, [0.8, 0.8, 2], 2);
      expect(native.surfaceDice(gt, Int32Array.from(pred), size, [0.8, 0.8, 2], 2, { label })).toEqual(
        expected,
      );
      expect(await native.surfaceDiceAsync(gt, pred, size, [0.8, 0.8, 2], 2, { label })).toEqual(expected);
      const sync = native.surfaceDistances(gt, pred, size, [0.8, 0.8, 2], { label });
      expect(await native.surfaceDistancesAsync(gt, pred, size, [0.8, 0.8, 2], { label })).toEqual(sync);
    }
  });

  it('checks its arguments', async () => {
    const raw = native.loadNative() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const m = new Uint8Array(60);
    const size: Size3 = [5, 4, 3];
    expect(() => raw.surfaceDice(m, m, size, [1, 1, 1], 2, null)).toThrow(/expects 7 arguments/);
    expect(() => raw.surfaceDice(m, new Uint8Array(59), size, [1, 1, 1], 2, null, null)).toThrow(
      /surfaceDice: pred has 59/,
    );
    expect(() => raw.surfaceDice(m, new Float64Array(60), size, [1, 1, 1], 2, null, null)).toThrow(TypeError);
    expect(() => raw.surfaceDice(m, m, size, [1, 1, 1], -1, null, null)).toThrow(/tolerance must be >= 0/);
    expect(() => raw.surfaceDice(m, m, size, [1, 1, 1], Infinity, null, null)).toThrow(
      /tolerance must be a finite/,
    );
    expect(() => raw.surfaceDice(m, m, size, [1, 1, 1], '2', null, null)).toThrow(TypeError);
    expect(() => raw.surfaceDice(m, m, size, [1, 1, 1], 2, 2 ** 31, null)).toThrow(RangeError);
    expect(() => raw.surfaceDice(m, m, size, [1, 1, 1], 2, null, { min: [0, 0, 0], max: [5, 3, 2] })).toThrow(
      /surfaceDice: box\.max\[0\]/,
    );
    expect(() => raw.surfaceDice(m, m, size, [1, 1, 1], 2, null, [0, 0, 0])).toThrow(TypeError);
    expect(() => raw.surfaceDistances(m, m, [5, 4, 0], [1, 1, 1], null)).toThrow(/size\[2\]/);
    await expect(native.surfaceDiceAsync(m, m, size, [1, 1, 1], NaN)).rejects.toThrow(
      /surfaceDiceAsync: tolerance/,
    );
  });
});

describe.skipIf(python === null)('against numpy + scipy (the README procedure)', () => {
  it('NSD equals the reference within 1e-6 (isotropic and anisotropic, empty surfaces)', () => {
    const pairs = surfacePairs();
    const inputs: ReferenceInput[] = [];
    const expected: {
      name: string;
      gt: Uint8Array;
      pred: Uint8Array;
      spacing: Spacing3;
      tolerance: number;
    }[] = [];
    for (const { name, size, gt, pred } of pairs) {
      for (const spacing of SPACINGS) {
        for (const tolerance of [1, 2]) {
          inputs.push({ gt, pred, size, case: { kind: 'nsd', spacing: [...spacing], tolerance } });
          expected.push({ name, gt, pred, spacing, tolerance });
        }
      }
    }
    const { json } = runReference(python!, inputs);
    inputs.forEach((input, k) => {
      const ours = native.surfaceDice(
        expected[k].gt,
        expected[k].pred,
        input.size,
        expected[k].spacing,
        expected[k].tolerance,
      );
      const ref = json[k] as { nsd: number | null; gtArea: number; predArea: number; gtSurfels: number };
      const label = `${expected[k].name} spacing ${expected[k].spacing} t ${expected[k].tolerance}`;
      if (ref.nsd === null) expect(ours.nsd, label).toBeNaN();
      else expect(Math.abs(ours.nsd - ref.nsd), label).toBeLessThan(1e-6);
      expect(Math.abs(ours.gtArea - ref.gtArea), label).toBeLessThan(1e-9 * Math.max(1, ref.gtArea));
      expect(Math.abs(ours.predArea - ref.predArea), label).toBeLessThan(1e-9 * Math.max(1, ref.predArea));
      expect(ours.gtSurfels, label).toBe(ref.gtSurfels);
    });
  });

  it('neighbour codes equal scipy.ndimage.correlate with the kernel', () => {
    const cases: { size: Size3; mask: Uint8Array }[] = [
      { size: [7, 5, 4], mask: noise([7, 5, 4], 0.4, 61) },
      { size: [1, 6, 3], mask: noise([1, 6, 3], 0.5, 62) },
      { size: [9, 8, 7], mask: blobs([9, 8, 7], 2, 63) },
    ];
    const { arrays } = runReference(
      python!,
      cases.map(({ size, mask }) => ({ gt: mask, pred: mask, size, case: { kind: 'codes' } })),
    );
    cases.forEach(({ size, mask }, k) => {
      const ref = arrays[`codes_${k}`];
      expect(ref.shape).toEqual([size[2] + 1, size[1] + 1, size[0] + 1]);
      expect(native.neighbourCodes(mask, size).codes).toEqual(ref.data);
    });
  });
});
