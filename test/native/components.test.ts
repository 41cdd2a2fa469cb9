import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

import * as native from '../../native/index.js';
import type { Connectivity, LabelArray, Size3 } from '../../native/index.js';
import * as oracle from '../oracles/index.js';
import { countTurns, extents } from './fixtures.js';
import { prng } from '../helpers/prng.js';

type LabelCtor = new (length: number) => LabelArray;
const labelTypes: { name: string; ctor: LabelCtor; values: number[] }[] = [
  { name: 'Uint8Array', ctor: Uint8Array, values: [1, 2, 7, 255] },
  { name: 'Int16Array', ctor: Int16Array, values: [1, -3, 300, -32768] },
  { name: 'Uint16Array', ctor: Uint16Array, values: [1, 2, 1000, 65535] },
  { name: 'Int32Array', ctor: Int32Array, values: [1, -1, 70000, -2147483648] },
];
const connectivities: Connectivity[] = [6, 18, 26];

/** Random boxes of random values over a sprinkle of noise: components of many shapes and sizes. */
function randomLabels(ctor: LabelCtor, values: number[], seed: number): { data: LabelArray; size: Size3 } {
  const r = prng(seed);
  const size: Size3 = [1 + Math.floor(r() * 24), 1 + Math.floor(r() * 18), 1 + Math.floor(r() * 14)];
  const [nx, ny, nz] = size;
  const data = new ctor(nx * ny * nz);
  const nValues = 1 + Math.floor(r() * values.length);
  const pick = () => values[Math.floor(r() * nValues)];
  const noise = [0, 0.01, 0.05, 0.2, 0.45, 0.7][seed % 6];
  for (let i = 0; i < data.length; i++) if (r() < noise) data[i] = pick();
  const boxes = Math.floor(r() * 8);
  for (let b = 0; b < boxes; b++) {
    const lo = [r() * nx, r() * ny, r() * nz].map(Math.floor);
    const hi = lo.map((l, a) => Math.min(size[a] - 1, l + Math.floor(r() * 6)));
    const v = r() < 0.2 ? 0 : pick();
    for (let z = lo[2]; z <= hi[2]; z++)
      for (let y = lo[1]; y <= hi[1]; y++)
        for (let x = lo[0]; x <= hi[0]; x++) data[x + nx * (y + ny * z)] = v;
  }
  return { data, size };
}

const at = (size: Size3, x: number, y: number, z: number) => x + size[0] * (y + size[1] * z);

/** The type a fresh output must have: the smallest that holds `count`. */
const labelTypeFor = (count: number) =>
  count <= 255 ? Uint8Array : count <= 65535 ? Uint16Array : Uint32Array;

/**
 * A fresh result as the oracle gives it ({ labels: Uint32Array, count }), after checking that its
 * labels have the smallest type that holds the count.
 */
function asOracle(result: native.Components, what = ''): { labels: Uint32Array; count: number } {
  expect(result.labels.constructor, `${what}: output type for ${result.count} components`).toBe(
    labelTypeFor(result.count),
  );
  return { labels: Uint32Array.from(result.labels), count: result.count };
}

/** Relative closeness for float outputs; NaN must match NaN. */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e)) {
      expect(a, `${what}[${i}]`).toBeNaN();
      continue;
    }
    expect(Math.abs(a - e), `${what}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(
      1e-6 * Math.max(1, Math.abs(e)),
    );
  }
}

function expectSameStats(actual: native.ComponentStats, expected: native.ComponentStats, what: string): void {
  expect(actual.count, what).toBe(expected.count);
  expect(actual.voxels, what).toEqual(expected.voxels);
  expect(actual.boxMin, what).toEqual(expected.boxMin);
  expect(actual.boxMax, what).toEqual(expected.boxMax);
  expectClose(actual.centroid, expected.centroid, `${what} centroid`);
  if (expected.value === null) expect(actual.value).toBeNull();
  else expectClose(actual.value!, expected.value, `${what} value`);
  if (expected.mean === null) expect(actual.mean).toBeNull();
  else expectClose(actual.mean!, expected.mean, `${what} mean`);
}

describe('connectedComponents', () => {
  describe.each(labelTypes)('$name', ({ ctor, values }) => {
    it('matches the flood-fill oracle on random volumes (6/18/26, multi-label and binary)', () => {
      let components = 0;
      for (let seed = 1; seed <= 36; seed++) {
        const { data, size } = randomLabels(ctor, values, seed);
        for (const connectivity of connectivities) {
          for (const binary of [false, true]) {
            const what = `seed ${seed} size ${size.join('x')} c${connectivity} binary=${binary}`;
            const expected = oracle.connectedComponents(data, size, { connectivity, binary });
            const actual = native.connectedComponents(data, size, { connectivity, binary });
            expect(actual.count, what).toBe(expected.count);
            expect(asOracle(actual, what).labels, what).toEqual(expected.labels);
            const out = new Uint32Array(data.length).fill(0xdeadbeef);
            expect(native.connectedComponents(data, size, { connectivity, binary, out }).count, what).toBe(
              expected.count,
            );
            expect(out, `${what} (out)`).toEqual(expected.labels);
            components += actual.count;
          }
        }
      }
      expect(components).toBeGreaterThan(1000);
    });
  });

  // The kernel stores runs with 16-bit x coordinates up to 65536 voxels per row, 32-bit beyond;
  // speckle (many one- and two-voxel runs of different values) exercises every run boundary.
  it('matches the oracle on speckle, with rows short and longer than 65536 voxels', () => {
    const r = prng(7);
    for (const size of [[65536, 2, 2] as Size3, [65539, 2, 2] as Size3, [33, 40, 30] as Size3]) {
      const data = new Uint16Array(size[0] * size[1] * size[2]);
      for (let i = 0; i < data.length; i++) data[i] = r() < 0.45 ? 0 : 1 + Math.floor(r() * 3);
      for (const connectivity of connectivities) {
        for (const binary of [false, true]) {
          const what = `size ${size.join('x')} c${connectivity} binary=${binary}`;
          const expected = oracle.connectedComponents(data, size, { connectivity, binary });
          const actual = native.connectedComponents(data, size, { connectivity, binary });
          expect(actual.count, what).toBe(expected.count);
          // A scan for the first difference: toEqual on 260k elements takes seconds.
          const differs = actual.labels.findIndex((label, i) => label !== expected.labels[i]);
          expect(differs, `${what}: first differing voxel`).toBe(-1);
        }
      }
    }
  });

  // A fresh output is the smallest type that holds the count: Uint8Array up to 255 components,
  // Uint16Array up to 65535, else Uint32Array; the labels are the oracle's in each.
  it('returns the smallest output type that holds the count, at the 255 and 65535 boundaries', async () => {
    const size: Size3 = [512, 514, 1]; // isolated voxels at even (x, y): 256 x 257 places
    const places: number[] = [];
    for (let y = 0; y < size[1]; y += 2) for (let x = 0; x < size[0]; x += 2) places.push(at(size, x, y, 0));
    /** The first index where two label maps differ, or -1 (toEqual on 263k elements takes seconds). */
    const firstDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      expect(a.length).toBe(b.length);
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
      return -1;
    };
    for (const k of [0, 255, 256, 65535, 65536]) {
      const data = new Uint8Array(size[0] * size[1]);
      for (let i = 0; i < k; i++) data[places[i]] = 1 + (i % 3);
      for (const connectivity of [6, 26] as Connectivity[]) {
        const what = `${k} components, c${connectivity}`;
        const expected = oracle.connectedComponents(data, size, { connectivity });
        expect(expected.count, what).toBe(k);
        const actual = native.connectedComponents(data, size, { connectivity });
        expect(actual.count, what).toBe(k);
        expect(actual.labels.constructor, what).toBe(
          k <= 255 ? Uint8Array : k <= 65535 ? Uint16Array : Uint32Array,
        );
        expect(
          firstDifference(actual.labels, expected.labels),
          `${what}: first voxel differing from the oracle`,
        ).toBe(-1);
        // Raster order: the i-th place holds label i + 1, and the largest label is the count.
        expect(
          places.slice(0, k).every((p, i) => actual.labels[p] === i + 1),
          what,
        ).toBe(true);
        const async = await native.connectedComponentsAsync(data, size, { connectivity });
        expect(async.labels.constructor, what).toBe(actual.labels.constructor);
        expect(async.count, what).toBe(k);
        expect(firstDifference(async.labels, actual.labels), `${what}: async`).toBe(-1);
        // With out, always the caller's Uint32Array.
        const out = new Uint32Array(data.length);
        expect(native.connectedComponents(data, size, { connectivity, out }).labels, what).toBe(out);
        expect(firstDifference(out, expected.labels), `${what}: out`).toBe(-1);
      }
    }
  });

  it('componentStats reads Uint8Array, Uint16Array and Uint32Array labels alike', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const { data, size } = randomLabels(Int16Array, [1, -3, 300], seed);
      const weights = Float32Array.from(data, (v) => v / 7);
      const { labels, count } = native.connectedComponents(data, size, { connectivity: 26 });
      const wide = Uint32Array.from(labels);
      const expected = oracle.componentStats(wide, size, count, { values: data, weights });
      const kinds: native.ComponentLabels[] = [Uint16Array.from(labels), wide];
      if (count <= 255) kinds.unshift(Uint8Array.from(labels));
      for (const kind of kinds) {
        const what = `seed ${seed}, ${kind.constructor.name}`;
        expectSameStats(native.componentStats(kind, size, count, { values: data, weights }), expected, what);
      }
    }
    const narrow = new Uint8Array([0, 1, 3, 0]);
    expect(() => native.componentStats(narrow, [4, 1, 1], 2)).toThrow(
      /^componentStats: labels\[2\] = 3 exceeds count = 2$/,
    );
  });

  it('numbers components in raster order of their first voxel', () => {
    const size: Size3 = [5, 4, 3];
    const data = new Uint8Array(60);
    data[at(size, 4, 3, 2)] = 1; // last voxel
    data[at(size, 0, 2, 0)] = 1;
    data[at(size, 3, 0, 1)] = 2;
    data[at(size, 1, 0, 0)] = 1;
    const { labels, count } = native.connectedComponents(data, size);
    expect(count).toBe(4);
    expect(
      [at(size, 1, 0, 0), at(size, 0, 2, 0), at(size, 3, 0, 1), at(size, 4, 3, 2)].map((i) => labels[i]),
    ).toEqual([1, 2, 3, 4]);
  });

  it('handles empty, full and single-voxel volumes and thin shapes', () => {
    for (const size of extents('1x1x1 1x7x5 9x1x1 1x1x9 1x9x1 6x1x4 4x5x6')) {
      const n = size[0] * size[1] * size[2];
      for (const connectivity of connectivities) {
        const empty = native.connectedComponents(new Uint8Array(n), size, { connectivity });
        expect(empty.count).toBe(0);
        expect(empty.labels.every((l) => l === 0)).toBe(true);
        const full = native.connectedComponents(new Int16Array(n).fill(-5), size, { connectivity });
        expect(full.count).toBe(1);
        expect(full.labels.every((l) => l === 1)).toBe(true);
        // Alternating voxels along every line: a checkerboard.
        const checker = new Uint8Array(n);
        for (let z = 0; z < size[2]; z++)
          for (let y = 0; y < size[1]; y++)
            for (let x = 0; x < size[0]; x++) checker[at(size, x, y, z)] = (x + y + z) % 2 === 0 ? 1 : 0;
        const expected = oracle.connectedComponents(checker, size, { connectivity });
        const actual = native.connectedComponents(checker, size, { connectivity });
        expect(asOracle(actual)).toEqual(expected);
        if (connectivity === 6) expect(actual.count).toBe(checker.reduce((a, b) => a + b, 0));
      }
    }
  });

  it('joins diagonal neighbours only at the matching connectivity', () => {
    const size: Size3 = [6, 6, 6];
    const corner = new Uint8Array(216); // (i, i, i): corner contacts
    const edge = new Uint8Array(216); // (i, i, 0): edge contacts
    for (let i = 0; i < 6; i++) {
      corner[at(size, i, i, i)] = 1;
      edge[at(size, i, i, 0)] = 1;
    }
    const count = (data: Uint8Array, connectivity: Connectivity) =>
      native.connectedComponents(data, size, { connectivity }).count;
    expect([count(corner, 6), count(corner, 18), count(corner, 26)]).toEqual([6, 6, 1]);
    expect([count(edge, 6), count(edge, 18), count(edge, 26)]).toEqual([6, 1, 1]);
  });

  it('keeps different values apart unless binary, and labels components touching every face', () => {
    const size: Size3 = [7, 6, 5];
    const data = new Int32Array(210);
    // A shell of value 3 on all six faces, a slab of value 9 inside touching it.
    for (let z = 0; z < 5; z++)
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < 7; x++) {
          const face = x === 0 || y === 0 || z === 0 || x === 6 || y === 5 || z === 4;
          if (face) data[at(size, x, y, z)] = 3;
          else if (z === 2) data[at(size, x, y, z)] = 9;
        }
    for (const connectivity of connectivities) {
      expect(native.connectedComponents(data, size, { connectivity }).count).toBe(2);
      expect(native.connectedComponents(data, size, { connectivity, binary: true }).count).toBe(1);
      expect(asOracle(native.connectedComponents(data, size, { connectivity }))).toEqual(
        oracle.connectedComponents(data, size, { connectivity }),
      );
    }
    // A cross of three lines through the centre, each touching two opposite faces.
    const cross = new Uint8Array(210);
    for (let x = 0; x < 7; x++) cross[at(size, x, 3, 2)] = 1;
    for (let y = 0; y < 6; y++) cross[at(size, 3, y, 2)] = 1;
    for (let z = 0; z < 5; z++) cross[at(size, 3, 3, z)] = 1;
    const { labels, count } = native.connectedComponents(cross, size);
    expect(count).toBe(1);
    expect(labels.constructor).toBe(Uint8Array);
    expect(Array.from(labels).reduce((a, b) => a + b, 0)).toBe(7 + 6 + 5 - 2);
  });

  it('writes into a caller-provided buffer, overwriting what was there, and reuses it', () => {
    const a = randomLabels(Uint8Array, [1, 2], 4);
    const out = new Uint32Array(a.data.length).fill(0xdeadbeef);
    const first = native.connectedComponents(a.data, a.size, { connectivity: 26, out });
    expect(first.labels).toBe(out);
    expect(out).toEqual(oracle.connectedComponents(a.data, a.size, { connectivity: 26 }).labels);
    const flipped = a.data.map((v) => (v === 0 ? 1 : 0));
    const second = native.connectedComponents(flipped, a.size, { connectivity: 26, out });
    expect(second.labels).toBe(out);
    expect(out).toEqual(oracle.connectedComponents(flipped, a.size, { connectivity: 26 }).labels);
    // A view into a larger buffer (byte offset) is fine too.
    const backing = new Uint32Array(a.data.length + 8).fill(7);
    const view = new Uint32Array(backing.buffer, 16, a.data.length);
    native.connectedComponents(a.data, a.size, { out: view });
    expect(Array.from(backing.subarray(0, 4))).toEqual([7, 7, 7, 7]);
    expect(Array.from(backing.subarray(4 + a.data.length))).toEqual([7, 7, 7, 7]);
  });
});

describe('componentStats', () => {
  it('matches the oracle on random volumes, with and without values and weights', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const { data, size } = randomLabels(Int16Array, [1, -3, 300], seed);
      const r = prng(seed + 1000);
      const weights = Float32Array.from(data, () => r());
      for (const connectivity of [6, 26] as const) {
        const { labels, count } = native.connectedComponents(data, size, { connectivity });
        const what = `seed ${seed} c${connectivity}`;
        expectSameStats(
          native.componentStats(labels, size, count, { values: data, weights }),
          oracle.componentStats(labels, size, count, { values: data, weights }),
          what,
        );
        expectSameStats(
          native.componentStats(labels, size, count),
          oracle.componentStats(labels, size, count),
          what,
        );
      }
    }
  });

  it('reports counts, boxes, centroids, values and means analytically', () => {
    const size: Size3 = [6, 5, 4];
    const data = new Uint16Array(120);
    // value 4: a 2x2x2 cube at (1..2, 1..2, 0..1); value 9: an L of 3 voxels.
    for (let z = 0; z < 2; z++)
      for (let y = 1; y < 3; y++) for (let x = 1; x < 3; x++) data[at(size, x, y, z)] = 4;
    data[at(size, 5, 4, 3)] = 9;
    data[at(size, 4, 4, 3)] = 9;
    data[at(size, 5, 3, 3)] = 9;
    const weights = new Float32Array(120).fill(0.25);
    weights[at(size, 5, 4, 3)] = 1;
    const { labels, count } = native.connectedComponents(data, size);
    for (const impl of [native, oracle]) {
      const s = impl.componentStats(labels, size, count, { values: data, weights });
      expect(s.count).toBe(2);
      expect(Array.from(s.voxels)).toEqual([120 - 11, 8, 3]);
      expect(Array.from(s.boxMin.subarray(3, 9))).toEqual([1, 1, 0, 4, 3, 3]);
      expect(Array.from(s.boxMax.subarray(3, 9))).toEqual([2, 2, 1, 5, 4, 3]);
      expect(Array.from(s.boxMin.subarray(0, 3))).toEqual([0, 0, 0]);
      expect(Array.from(s.boxMax.subarray(0, 3))).toEqual([5, 4, 3]);
      expect(Array.from(s.centroid.subarray(3, 9))).toEqual([1.5, 1.5, 0.5, 14 / 3, 11 / 3, 3]);
      expect(Array.from(s.value!)).toEqual([0, 4, 9]);
      expect(s.mean![1]).toBe(0.25);
      expect(s.mean![2]).toBeCloseTo(1.5 / 3, 12);
    }
  });

  it('marks labels without voxels as empty (-1 box, NaN centroid, value and mean)', () => {
    const labels = new Uint32Array([0, 2, 2, 0]);
    for (const impl of [native, oracle]) {
      const s = impl.componentStats(labels, [2, 2, 1], 3, {
        values: new Float32Array(4),
        weights: new Float32Array(4),
      });
      expect(Array.from(s.voxels)).toEqual([2, 0, 2, 0]);
      expect(Array.from(s.boxMin.subarray(3, 6))).toEqual([-1, -1, -1]);
      expect(s.centroid[3]).toBeNaN();
      expect(s.value![1]).toBeNaN();
      expect(s.mean![3]).toBeNaN();
      const full = impl.componentStats(new Uint32Array([1, 1, 1, 1]), [2, 2, 1], 1);
      expect(full.voxels[0]).toBe(0);
      expect(full.boxMax[0]).toBe(-1);
    }
  });

  it('rejects a label above count with a RangeError (sync and async)', async () => {
    const labels = new Uint32Array([0, 1, 3, 0]);
    expect(() => native.componentStats(labels, [4, 1, 1], 2)).toThrow(RangeError);
    expect(() => native.componentStats(labels, [4, 1, 1], 2)).toThrow(
      /^componentStats: labels\[2\] = 3 exceeds count = 2$/,
    );
    await expect(native.componentStatsAsync(labels, [4, 1, 1], 2)).rejects.toThrow(
      /^componentStatsAsync: labels\[2\] = 3 exceeds count = 2$/,
    );
    await expect(native.componentStatsAsync(labels, [4, 1, 1], 2)).rejects.toBeInstanceOf(RangeError);
  });
});

describe('async variants', () => {
  it('give the same results as the sync ones', async () => {
    const { data, size } = randomLabels(Uint16Array, [1, 2, 1000], 11);
    const weights = Float32Array.from(data, (v) => v / 1000);
    for (const connectivity of connectivities) {
      const sync = native.connectedComponents(data, size, { connectivity });
      const async = await native.connectedComponentsAsync(data, size, { connectivity });
      expect(async).toEqual(sync);
      const out = new Uint32Array(data.length);
      expect((await native.connectedComponentsAsync(data, size, { connectivity, out })).labels).toBe(out);
      expect(out).toEqual(Uint32Array.from(sync.labels));
      expectSameStats(
        await native.componentStatsAsync(sync.labels, size, sync.count, { values: data, weights }),
        native.componentStats(sync.labels, size, sync.count, { values: data, weights }),
        `c${connectivity}`,
      );
    }
  });

  it('run off the main thread: the event loop keeps turning while they work', async () => {
    const size: Size3 = [160, 160, 120];
    const r = prng(5);
    const data = Uint8Array.from({ length: size[0] * size[1] * size[2] }, () => (r() < 0.3 ? 1 : 0));
    const expected = native.connectedComponents(data, size, { connectivity: 26 }).count;
    const turns = countTurns();
    const results = await Promise.all([
      native.connectedComponentsAsync(data, size, { connectivity: 26 }),
      native.connectedComponentsAsync(data, size, { connectivity: 26 }),
    ]);
    const ticks = turns.stop();
    expect(results.map((c) => c.count)).toEqual([expected, expected]);
    expect(ticks).toBeGreaterThan(1);
  });

  it('reject (never throw) on bad arguments, with the same error types', async () => {
    const bad = native.connectedComponentsAsync(new Float32Array(4) as unknown as Uint8Array, [4, 1, 1]);
    await expect(bad).rejects.toBeInstanceOf(TypeError);
    await expect(bad).rejects.toThrow(
      /^connectedComponentsAsync: data must be a Uint8Array, .*got Float32Array/,
    );
    await expect(
      native.connectedComponentsAsync(new Uint8Array(4), [4, 1, 1], { connectivity: 8 as Connectivity }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(native.componentStatsAsync(new Uint32Array(3), [4, 1, 1], 0)).rejects.toThrow(
      /has 3 elements/,
    );
  });

  it('keep their buffers alive through garbage collection (separate process with --expose-gc)', () => {
    const script = `
      const addon = require(${JSON.stringify(native.addonPath())});
      const size = [40, 30, 20];
      function volume(seed) {
        const d = new Int32Array(24000);
        let a = seed;
        for (let i = 0; i < d.length; i++) { a = (a * 1103515245 + 12345) >>> 0; d[i] = (a >>> 16) % 3 === 0 ? 1 + (a % 2) : 0; }
        return d;
      }
      const expected = [];
      for (let s = 1; s <= 24; s++) expected.push(addon.connectedComponents(volume(s), size, 26, false, null).count);
      const pending = [];
      for (let s = 1; s <= 24; s++) pending.push(addon.connectedComponentsAsync(volume(s), size, 26, false, null));
      for (let k = 0; k < 20; k++) { globalThis.gc(); new Array(1e5).fill({}); }
      Promise.all(pending).then((all) => {
        globalThis.gc();
        const stats = all.map((c) => addon.componentStats(c.labels, size, c.count, null, null).count);
        console.log(JSON.stringify({ ok: all.every((c, i) => c.count === expected[i] && stats[i] === c.count) }));
      });
    `;
    const result = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true });
  });
});

describe('argument checks throw JavaScript errors', () => {
  const addon = native.loadNative() as unknown as Record<string, (...args: unknown[]) => unknown>;
  const ok = new Uint8Array(24);
  const size = [2, 3, 4];

  it('connectedComponents', () => {
    const cc =
      (...args: unknown[]) =>
      () =>
        addon.connectedComponents(...args);
    expect(cc(ok, size, 6, false)).toThrow(
      /connectedComponents\(data, size, connectivity, binary, out\) expects 5/,
    );
    expect(cc(new Float32Array(24), size, 6, false, null)).toThrow(TypeError);
    expect(cc(new Float32Array(24), size, 6, false, null)).toThrow(/\(integer labels\), got Float32Array/);
    expect(cc(new Float64Array(24), size, 6, false, null)).toThrow(/data must be .* got Float64Array/);
    expect(cc(new Uint8Array(23), size, 6, false, null)).toThrow(/data has 23 elements but size \[2, 3, 4\]/);
    expect(cc(ok, [2, 3], 6, false, null)).toThrow(/size must have exactly 3 elements/);
    for (const c of [0, 4, 8, 6.5, 27, NaN, -6]) {
      expect(cc(ok, size, c, false, null)).toThrow(RangeError);
      expect(cc(ok, size, c, false, null)).toThrow(/connectivity must be 6, 18 or 26, got /);
    }
    expect(cc(ok, size, '6', false, null)).toThrow(TypeError);
    expect(cc(ok, size, '6', false, null)).toThrow(/connectivity must be 6, 18 or 26, got string/);
    expect(cc(ok, size, 6, 1, null)).toThrow(/binary must be a boolean, got number/);
    expect(cc(ok, size, 6, false, new Int32Array(24))).toThrow(
      /out must be a Uint32Array or null, got Int32Array/,
    );
    expect(cc(ok, size, 6, false, [])).toThrow(TypeError);
    expect(cc(ok, size, 6, false, new Uint32Array(25))).toThrow(RangeError);
    expect(cc(ok, size, 6, false, new Uint32Array(25))).toThrow(/out has 25 elements but must have 24/);
    // out sharing memory with data would be read while being written.
    const shared = new ArrayBuffer(96);
    expect(cc(new Int32Array(shared), size, 6, false, new Uint32Array(shared))).toThrow(
      /data and out must not share memory/,
    );
    expect(
      cc(new Uint8Array(shared, 90, 6), [6, 1, 1], 6, false, new Uint32Array(shared, 0, 6)),
    ).not.toThrow();
    expect(cc(new Uint8Array(shared, 20, 6), [6, 1, 1], 6, false, new Uint32Array(shared, 0, 6))).toThrow(
      /must not share memory/,
    );
    expect(cc(ok, [2 ** 16, 2 ** 16, 2], 6, false, null)).toThrow(/at most 2147483647 voxels are supported/);
    // Still working afterwards.
    expect(addon.connectedComponents(ok, size, 6, false, null)).toEqual({
      labels: new Uint8Array(24),
      count: 0,
    });
  });

  it('componentStats', () => {
    const st =
      (...args: unknown[]) =>
      () =>
        addon.componentStats(...args);
    const labels = new Uint32Array(24);
    expect(st(labels, size, 0, null)).toThrow(
      /componentStats\(labels, size, count, values, weights\) expects 5/,
    );
    expect(st(new Int32Array(24), size, 0, null, null)).toThrow(
      /labels must be a Uint8Array, Uint16Array or Uint32Array, got Int32Array/,
    );
    expect(st(new Uint32Array(20), size, 0, null, null)).toThrow(/labels has 20 elements but must have 24/);
    expect(st(labels, size, -1, null, null)).toThrow(/count must be an integer from 0 to 24, got -1/);
    expect(st(labels, size, 25, null, null)).toThrow(RangeError);
    expect(st(labels, size, 1.5, null, null)).toThrow(RangeError);
    expect(st(labels, size, '1', null, null)).toThrow(TypeError);
    expect(st(labels, size, 0, new Float64Array(24), null)).toThrow(
      /values must be a Uint8Array, .* got Float64Array/,
    );
    expect(st(labels, size, 0, new Uint8Array(5), null)).toThrow(/values has 5 elements/);
    expect(st(labels, size, 0, null, new Float64Array(24))).toThrow(/weights must be a Float32Array or null/);
    expect(st(labels, size, 0, null, new Float32Array(23))).toThrow(
      /weights has 23 elements but must have 24/,
    );
    expect((addon.componentStats(labels, size, 0, null, null) as native.ComponentStats).voxels).toEqual(
      new Float64Array([24]),
    );
  });

  it('a separate process survives every bad call and exits cleanly', () => {
    const script = `
      const a = require(${JSON.stringify(native.addonPath())});
      const v = new Uint8Array(8), s = [2, 2, 2];
      const calls = [
        () => a.connectedComponents(), () => a.connectedComponents(v, s, 5, false, null),
        () => a.connectedComponents(v, s, 6, false, new Uint32Array(3)), () => a.connectedComponents(v, [2, 2], 6, false, null),
        () => a.connectedComponents(new Float32Array(8), s, 6, false, null), () => a.componentStats(new Uint32Array(8).fill(9), s, 2, null, null),
        () => a.componentStats(new Uint32Array(8), s, 1e12, null, null), () => a.componentStats(new Int32Array(8), s, 0, null, null),
        () => a.removeSmallComponents(v, s, -1, 6, true), () => a.keepLargestComponents(v, s, 6, [1]),
        () => a.keepProbableComponents(v, s, new Float32Array(7), 6, null, 3, 2, 0.1, 0.86), () => a.fillHoles(v, s, 'x'),
      ];
      let thrown = 0;
      for (const c of calls) { try { c(); } catch (e) { if (e instanceof TypeError || e instanceof RangeError) thrown++; } }
      Promise.allSettled([a.componentStatsAsync(new Uint32Array(8).fill(9), s, 2, null, null)]).then(([r]) => {
        console.log(JSON.stringify({ thrown, rejected: r.reason instanceof RangeError, count: a.connectedComponents(v.fill(1), s, 6, false, null).count }));
      });
    `;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ thrown: 12, rejected: true, count: 1 });
  });
});
