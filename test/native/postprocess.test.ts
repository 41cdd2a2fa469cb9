import { describe, expect, it } from 'vitest';

import * as native from '../../native/index.js';
import type { Connectivity, LabelArray, Size3 } from '../../native/index.js';
import * as oracle from '../oracles/index.js';
import { prng } from '../helpers/prng.js';

type LabelCtor = new (length: number) => LabelArray;
const labelTypes: { name: string; ctor: LabelCtor; values: number[] }[] = [
  { name: 'Uint8Array', ctor: Uint8Array, values: [1, 2, 5, 200] },
  { name: 'Int16Array', ctor: Int16Array, values: [1, 2, -7, 3000] },
  { name: 'Uint16Array', ctor: Uint16Array, values: [1, 4, 9, 65535] },
  { name: 'Int32Array', ctor: Int32Array, values: [1, 2, -100000, 2147483647] },
];

const at = (size: Size3, x: number, y: number, z: number) => x + size[0] * (y + size[1] * z);

function fillBox(data: LabelArray, size: Size3, lo: number[], hi: number[], value: number): void {
  for (let z = lo[2]; z <= hi[2]; z++)
    for (let y = lo[1]; y <= hi[1]; y++) for (let x = lo[0]; x <= hi[0]; x++) data[at(size, x, y, z)] = value;
}

/** A label map of boxes and hollow boxes (shells with cavities) over noise, and a probability map. */
function randomCase(ctor: LabelCtor, values: number[], seed: number) {
  const r = prng(seed);
  const size: Size3 = [4 + Math.floor(r() * 20), 4 + Math.floor(r() * 16), 1 + Math.floor(r() * 12)];
  const data = new ctor(size[0] * size[1] * size[2]);
  const nValues = 1 + Math.floor(r() * values.length);
  const pick = () => values[Math.floor(r() * nValues)];
  const noise = [0, 0.02, 0.1, 0.3][seed % 4];
  for (let i = 0; i < data.length; i++) if (r() < noise) data[i] = pick();
  const boxes = 1 + Math.floor(r() * 8);
  for (let b = 0; b < boxes; b++) {
    const lo = size.map((s) => Math.floor(r() * s));
    const hi = lo.map((l, a) => Math.min(size[a] - 1, l + 1 + Math.floor(r() * 6)));
    const v = pick();
    fillBox(data, size, lo, hi, v);
    if (r() < 0.5 && hi.every((h, a) => h - lo[a] >= 2)) {
      const inner = r() < 0.3 ? pick() : 0;
      fillBox(
        data,
        size,
        lo.map((l) => l + 1),
        hi.map((h) => h - 1),
        inner,
      );
    }
  }
  // Probabilities: per-voxel noise around a level per value, so component means differ.
  const level = new Map(values.map((v) => [v, 0.5 + 0.5 * r()]));
  const probability = Float32Array.from(data, (v) => Math.min(1, (level.get(v) ?? 0.1) + 0.2 * (r() - 0.5)));
  return { data, size, probability };
}

function expectSameFilter(
  actual: native.FilterResult<LabelArray>,
  expected: native.FilterResult<LabelArray>,
  what: string,
) {
  expect(actual.labels.constructor, what).toBe(expected.labels.constructor);
  expect(actual.labels, what).toEqual(expected.labels);
  expect(actual.removedComponents, what).toBe(expected.removedComponents);
  expect(actual.removedVoxels, what).toBe(expected.removedVoxels);
}

describe.each(labelTypes)('post-processing on $name matches the oracle', ({ ctor, values }) => {
  const cases = Array.from({ length: 24 }, (_, k) => ({ seed: k + 1, ...randomCase(ctor, values, k + 1) }));

  it('removeSmallComponents (foreground union and per label, 6/18/26)', () => {
    for (const { seed, data, size } of cases) {
      for (const connectivity of [6, 18, 26] as Connectivity[]) {
        for (const perLabel of [false, true]) {
          for (const minSize of [0, 3, 12]) {
            const options = { minSize, connectivity, perLabel };
            const what = `seed ${seed} ${JSON.stringify(options)}`;
            const actual = native.removeSmallComponents(data, size, options);
            expectSameFilter(actual, oracle.removeSmallComponents(data, size, options), what);
          }
        }
      }
    }
  });

  it('keepLargestComponents (all values and a subset)', () => {
    for (const { seed, data, size } of cases) {
      for (const connectivity of [6, 26] as Connectivity[]) {
        for (const selected of [undefined, [values[0]], [values[1], 12345]]) {
          const options = { connectivity, values: selected };
          const what = `seed ${seed} ${JSON.stringify(options)}`;
          expectSameFilter(
            native.keepLargestComponents(data, size, options),
            oracle.keepLargestComponents(data, size, options),
            what,
          );
        }
      }
    }
  });

  it('keepProbableComponents (Medal S defaults and other parameters)', () => {
    for (const { seed, data, size, probability } of cases) {
      for (const options of [
        {},
        { values: [values[0]] },
        { connectivity: 26 as const, tolerance: 0.3, minProbability: 0.5 },
        { candidates: 5, shortlist: 3, tolerance: 0.05, minProbability: 0.6 },
        { candidates: 1, shortlist: 1 },
      ]) {
        const what = `seed ${seed} ${JSON.stringify(options)}`;
        expectSameFilter(
          native.keepProbableComponents(data, size, probability, options),
          oracle.keepProbableComponents(data, size, probability, options),
          what,
        );
      }
    }
  });

  it('fillHoles (all values and a subset)', () => {
    let filled = 0;
    for (const { seed, data, size } of cases) {
      for (const selected of [undefined, [values[0], values[2]]]) {
        const what = `seed ${seed} values ${JSON.stringify(selected)}`;
        const actual = native.fillHoles(data, size, { values: selected });
        const expected = oracle.fillHoles(data, size, { values: selected });
        expect(actual.labels, what).toEqual(expected.labels);
        expect(actual.filled, what).toBe(expected.filled);
        filled += actual.filled;
      }
    }
    expect(filled).toBeGreaterThan(0);
  });
});

describe('Medal S rules, analytically', () => {
  // Four separate blobs of label 1 along x (sizes 5x5x{4,3,2,1} = 100, 75, 50, 25 voxels) and
  // one blob of label 2; probabilities set per blob.
  const size: Size3 = [30, 5, 5];
  const blobs = [
    { x: [0, 3], voxels: 100 },
    { x: [6, 8], voxels: 75 },
    { x: [11, 12], voxels: 50 },
    { x: [15, 15], voxels: 25 },
  ];
  function scene(probs: number[]) {
    const labels = new Int16Array(size[0] * size[1] * size[2]);
    const probability = new Float32Array(labels.length);
    blobs.forEach((b, k) => {
      fillBox(labels, size, [b.x[0], 0, 0], [b.x[1], 4, 4], 1);
      for (let z = 0; z < 5; z++)
        for (let y = 0; y < 5; y++)
          for (let x = b.x[0]; x <= b.x[1]; x++) probability[at(size, x, y, z)] = probs[k];
    });
    fillBox(labels, size, [20, 0, 0], [21, 1, 1], 2);
    return { labels, probability };
  }
  const kept = (labels: Int16Array) => blobs.map((b) => labels[at(size, b.x[0], 0, 0)] === 1);

  it.each([
    // two or more close and confident among the 3 largest: all of those
    { probs: [0.95, 0.93, 0.5, 0.99], keep: [true, true, false, false] },
    { probs: [0.9, 0.95, 0.92, 0.1], keep: [true, true, true, false] },
    // the 4th blob never competes, however probable
    { probs: [0.2, 0.3, 0.4, 1.0], keep: [true, false, false, false] },
    // one confident: the most probable, being among the 2 largest
    { probs: [0.7, 0.95, 0.6, 0.1], keep: [false, true, false, false] },
    // the most probable is only 3rd largest: the largest
    { probs: [0.7, 0.6, 0.95, 0.1], keep: [true, false, false, false] },
    // close but not above 0.86: not "close"; the most probable wins
    { probs: [0.8, 0.85, 0.84, 0.1], keep: [false, true, false, false] },
    // gap just over 0.1 (float32): one qualifies; it is the largest
    { probs: [0.99, 0.87, 0.2, 0.1], keep: [true, false, false, false] },
    // equal means: the first maximum (the largest) wins
    { probs: [0.5, 0.5, 0.5, 0.5], keep: [true, false, false, false] },
  ])('keepProbableComponents with blob means $probs', ({ probs, keep }) => {
    const { labels, probability } = scene(probs);
    for (const impl of [native, oracle]) {
      const result = impl.keepProbableComponents(labels, size, probability, { values: [1] });
      expect(kept(result.labels)).toEqual(keep);
      expect(result.removedComponents).toBe(keep.filter((k) => !k).length);
      expect(result.labels[at(size, 20, 0, 0)]).toBe(2); // label 2 was not selected
    }
  });

  it('keepLargestComponents keeps every component tied for the largest size', () => {
    const labels = new Uint8Array(30 * 5 * 5);
    fillBox(labels, size, [0, 0, 0], [1, 1, 1], 3);
    fillBox(labels, size, [5, 0, 0], [6, 1, 1], 3);
    fillBox(labels, size, [9, 0, 0], [9, 0, 0], 3);
    fillBox(labels, size, [12, 0, 0], [12, 0, 0], 4);
    for (const impl of [native, oracle]) {
      const result = impl.keepLargestComponents(labels, size);
      expect(result.removedComponents).toBe(1);
      expect(result.removedVoxels).toBe(1);
      expect(result.labels[at(size, 9, 0, 0)]).toBe(0);
      expect(result.labels[at(size, 5, 0, 0)]).toBe(3);
      expect(result.labels[at(size, 12, 0, 0)]).toBe(4);
    }
  });

  it('removeSmallComponents counts touching labels together unless perLabel', () => {
    const labels = new Int32Array(30 * 5 * 5);
    fillBox(labels, size, [0, 0, 0], [4, 0, 0], 1); // 5 voxels
    fillBox(labels, size, [5, 0, 0], [10, 0, 0], 2); // 6 voxels, touching
    fillBox(labels, size, [20, 2, 2], [20, 2, 2], 1); // alone
    for (const impl of [native, oracle]) {
      const union = impl.removeSmallComponents(labels, size, { minSize: 10 });
      expect([union.removedComponents, union.removedVoxels]).toEqual([1, 1]);
      expect(union.labels[at(size, 0, 0, 0)]).toBe(1);
      const perLabel = impl.removeSmallComponents(labels, size, { minSize: 6, perLabel: true });
      expect([perLabel.removedComponents, perLabel.removedVoxels]).toEqual([2, 6]);
      expect(perLabel.labels[at(size, 5, 0, 0)]).toBe(2);
      expect(perLabel.labels[at(size, 0, 0, 0)]).toBe(0);
    }
  });

  it('fillHoles fills enclosed background only, innermost label first, 6-connected', () => {
    const s: Size3 = [11, 11, 11];
    const labels = new Uint8Array(11 ** 3);
    // Shell of 1 (outer 0..10 minus border layer -> 1..9), shell of 2 inside (3..7), cavity 4..6.
    fillBox(labels, s, [1, 1, 1], [9, 9, 9], 1);
    fillBox(labels, s, [2, 2, 2], [8, 8, 8], 0);
    fillBox(labels, s, [3, 3, 3], [7, 7, 7], 2);
    fillBox(labels, s, [4, 4, 4], [6, 6, 6], 0);
    labels[at(s, 5, 5, 5)] = 3; // another label inside the cavity stays
    for (const impl of [native, oracle]) {
      const { labels: out, filled } = impl.fillHoles(labels, s);
      expect(out[at(s, 2, 2, 2)]).toBe(1); // between the shells: enclosed by 1 only
      expect(out[at(s, 4, 4, 4)]).toBe(2); // the cavity: enclosed by both, 2's hole is smaller
      expect(out[at(s, 5, 5, 5)]).toBe(3);
      expect(out[at(s, 0, 0, 0)]).toBe(0);
      expect(filled).toBe(7 ** 3 - 5 ** 3 + 3 ** 3 - 1);
      // Only label 1 selected: the cavity belongs to 1's hole too.
      expect(impl.fillHoles(labels, s, { values: [1] }).labels[at(s, 4, 4, 4)]).toBe(1);
    }
    // Opening the outer shell at one face voxel: the gap between the shells is no hole now,
    // unless the opening is only diagonal (background is 6-connected).
    const open = labels.slice();
    open[at(s, 1, 5, 5)] = 0;
    const diagonal = labels.slice();
    diagonal[at(s, 1, 5, 5)] = 0;
    diagonal[at(s, 2, 5, 5)] = 1; // seals the opening's face; it meets the gap only along edges
    for (const impl of [native, oracle]) {
      expect(impl.fillHoles(open, s).labels[at(s, 2, 2, 2)]).toBe(0);
      expect(impl.fillHoles(open, s).labels[at(s, 4, 4, 4)]).toBe(2);
      expect(impl.fillHoles(diagonal, s).labels[at(s, 2, 2, 2)]).toBe(1);
    }
  });

  it('fillHoles leaves holes open to the border and handles thin volumes', () => {
    const s: Size3 = [5, 5, 1];
    const ring = new Uint16Array(25);
    fillBox(ring, s, [1, 1, 0], [3, 3, 0], 7);
    ring[at(s, 2, 2, 0)] = 0; // a 2D ring in a one-slice volume: the centre touches z borders
    for (const impl of [native, oracle]) {
      expect(impl.fillHoles(ring, s).filled).toBe(0);
      expect(impl.fillHoles(new Uint8Array(1), [1, 1, 1]).filled).toBe(0);
      expect(impl.fillHoles(new Uint8Array([1]), [1, 1, 1]).filled).toBe(0);
    }
  });
});

describe('post-processing async variants and checks', () => {
  const { data, size, probability } = randomCase(Int16Array, [1, 2, 3], 7);

  it('the async variants match the sync ones', async () => {
    expect(await native.removeSmallComponentsAsync(data, size, { minSize: 5 })).toEqual(
      native.removeSmallComponents(data, size, { minSize: 5 }),
    );
    expect(await native.keepLargestComponentsAsync(data, size, { values: [1, 2] })).toEqual(
      native.keepLargestComponents(data, size, { values: [1, 2] }),
    );
    expect(await native.keepProbableComponentsAsync(data, size, probability)).toEqual(
      native.keepProbableComponents(data, size, probability),
    );
    expect(await native.fillHolesAsync(data, size)).toEqual(native.fillHoles(data, size));
  });

  it('never modify their input', () => {
    const copy = data.slice();
    native.removeSmallComponents(data, size, { minSize: 100 });
    native.keepLargestComponents(data, size);
    native.keepProbableComponents(data, size, probability);
    native.fillHoles(data, size);
    expect(data).toEqual(copy);
  });

  it('check their arguments', async () => {
    const addon = native.loadNative() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const call =
      (name: string, ...args: unknown[]) =>
      () =>
        addon[name](...args);
    expect(call('removeSmallComponents', data, size, 10, 6)).toThrow(
      /removeSmallComponents\(labels, size, minSize, connectivity, binary\) expects 5 arguments, got 4/,
    );
    expect(call('removeSmallComponents', new Float32Array(data.length), size, 10, 6, true)).toThrow(
      /labels must be a Uint8Array, Int16Array, Uint16Array or Int32Array \(integer labels\)/,
    );
    expect(call('removeSmallComponents', data, size, -1, 6, true)).toThrow(
      /minSize must be an integer from 0/,
    );
    expect(call('removeSmallComponents', data, size, 10, 12, true)).toThrow(RangeError);
    expect(call('removeSmallComponents', data, size, 10, 6, 'yes')).toThrow(
      /binary must be a boolean, got string/,
    );
    expect(call('keepLargestComponents', data, size, 6, [1, 2])).toThrow(
      /values must be an Int32Array or null, got Array/,
    );
    expect(call('keepLargestComponents', data, [1, 2, 3], 6, null)).toThrow(
      /labels has \d+ elements but size/,
    );
    const p = [data, size, probability, 6, null, 3, 2, 0.1, 0.86];
    const withArg = (k: number, v: unknown) => p.map((a, i) => (i === k ? v : a));
    expect(call('keepProbableComponents', ...p.slice(0, 8))).toThrow(/expects 9 arguments, got 8/);
    expect(call('keepProbableComponents', ...withArg(2, new Float32Array(3)))).toThrow(
      /probability has 3 elements but must have/,
    );
    expect(call('keepProbableComponents', ...withArg(2, null))).toThrow(
      /probability must be a Float32Array, got null/,
    );
    expect(call('keepProbableComponents', ...withArg(5, 0))).toThrow(/candidates must be an integer from 1/);
    expect(call('keepProbableComponents', ...withArg(6, 1.5))).toThrow(/shortlist must be an integer from 1/);
    expect(call('keepProbableComponents', ...withArg(7, NaN))).toThrow(
      /tolerance must be a finite number, got nan/i,
    );
    expect(call('keepProbableComponents', ...withArg(8, '0.8'))).toThrow(TypeError);
    expect(call('fillHoles', data, size, new Uint32Array(2))).toThrow(/values must be an Int32Array or null/);
    // Wrapper-level checks of label values.
    expect(() => native.keepLargestComponents(data, size, { values: [1.5] })).toThrow(RangeError);
    expect(() => native.fillHoles(data, size, { values: [2 ** 31] })).toThrow(/32-bit integers/);
    await expect(native.fillHolesAsync(data, size, { values: [NaN] })).rejects.toBeInstanceOf(RangeError);
    await expect(
      native.keepProbableComponentsAsync(data, size, new Float32Array(2), { values: [1] }),
    ).rejects.toBeInstanceOf(RangeError);
  });
});
