import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import * as native from '../../native/index.js';
import type { Size3, VoxelArray } from '../../native/index.js';
import * as oracle from '../oracles/index.js';
import { prng } from '../helpers/prng.js';

interface Ctor {
  new (length: number): VoxelArray;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): VoxelArray;
  readonly BYTES_PER_ELEMENT: number;
}

/** Each dtype with a generator of nonzero values covering its range (negative, fractional, ...). */
const dtypes: { name: string; ctor: Ctor; value: (r: () => number) => number }[] = [
  { name: 'Uint8Array', ctor: Uint8Array, value: (r) => 1 + Math.floor(r() * 255) },
  {
    name: 'Int16Array',
    ctor: Int16Array,
    value: (r) => (r() < 0.5 ? -1 : 1) * (1 + Math.floor(r() * 32767)),
  },
  { name: 'Uint16Array', ctor: Uint16Array, value: (r) => 1 + Math.floor(r() * 65535) },
  {
    name: 'Int32Array',
    ctor: Int32Array,
    value: (r) => (r() < 0.5 ? -1 : 1) * (1 + Math.floor(r() * 2147483647)),
  },
  { name: 'Float32Array', ctor: Float32Array, value: (r) => (r() < 0.5 ? -1 : 1) * (1e-6 + r() * 1e4) },
];

function randomVolume(
  ctor: Ctor,
  value: (r: () => number) => number,
  seed: number,
): { data: VoxelArray; size: Size3 } {
  const r = prng(seed);
  const size: Size3 = [1 + Math.floor(r() * 40), 1 + Math.floor(r() * 30), 1 + Math.floor(r() * 20)];
  const n = size[0] * size[1] * size[2];
  const data = new ctor(n);
  // Densities from "a handful of voxels" (tight, off-centre boxes) to "half full"; 0 leaves it empty.
  const density = [0, 0.0005, 0.002, 0.01, 0.1, 0.5][seed % 6];
  for (let i = 0; i < n; i++) if (r() < density) data[i] = value(r);
  return { data, size };
}

const index = (size: Size3, x: number, y: number, z: number) => x + size[0] * (y + size[1] * z);

describe('native addon', () => {
  it('loads from the package root and exposes the kernels', () => {
    const path = native.addonPath();
    expect(path).toMatch(/native[\\/]build[\\/]Release[\\/]medals_native\.node$/);
    expect(existsSync(path)).toBe(true);
    const addon = native.loadNative();
    expect(typeof addon.nonzeroBoundingBox).toBe('function');
    expect(typeof addon.countNonzero).toBe('function');
  });

  describe.each(dtypes)('$name', ({ ctor, value }) => {
    it('matches the oracle on random volumes', () => {
      let nonEmpty = 0;
      for (let seed = 1; seed <= 60; seed++) {
        const { data, size } = randomVolume(ctor, value, seed);
        const expected = oracle.nonzeroBoundingBox(data, size);
        expect(native.nonzeroBoundingBox(data, size), `seed ${seed}`).toEqual(expected);
        expect(native.countNonzero(data, size), `seed ${seed}`).toBe(oracle.countNonzero(data, size));
        if (expected !== null) nonEmpty++;
      }
      expect(nonEmpty).toBeGreaterThan(30);
    });

    it('handles analytic cases', () => {
      const size: Size3 = [7, 5, 3];
      const n = 7 * 5 * 3;
      for (const impl of [native, oracle]) {
        const zero = new ctor(n);
        expect(impl.nonzeroBoundingBox(zero, size)).toBeNull();
        expect(impl.countNonzero(zero, size)).toBe(0);

        const one = new ctor(n);
        one[index(size, 4, 2, 1)] = value(prng(7));
        expect(impl.nonzeroBoundingBox(one, size)).toEqual({ min: [4, 2, 1], max: [4, 2, 1] });
        expect(impl.countNonzero(one, size)).toBe(1);

        const two = new ctor(n);
        two[index(size, 6, 0, 2)] = 1;
        two[index(size, 1, 4, 0)] = 1;
        expect(impl.nonzeroBoundingBox(two, size)).toEqual({ min: [1, 0, 0], max: [6, 4, 2] });

        const full = new ctor(n).fill(3);
        expect(impl.nonzeroBoundingBox(full, size)).toEqual({ min: [0, 0, 0], max: [6, 4, 2] });
        expect(impl.countNonzero(full, size)).toBe(n);

        const single = new ctor(1);
        expect(impl.nonzeroBoundingBox(single, [1, 1, 1])).toBeNull();
        single[0] = 1;
        expect(impl.nonzeroBoundingBox(single, [1, 1, 1])).toEqual({ min: [0, 0, 0], max: [0, 0, 0] });
      }
    });

    it('reads a view with a byte offset, not the whole buffer', () => {
      const size: Size3 = [4, 3, 2];
      const backing = new ctor(24 + 8).fill(1);
      const view = new ctor(backing.buffer as ArrayBuffer, 4 * ctor.BYTES_PER_ELEMENT, 24);
      view.fill(0);
      view[index(size, 2, 1, 1)] = 5;
      expect(native.nonzeroBoundingBox(view, size)).toEqual({ min: [2, 1, 1], max: [2, 1, 1] });
      expect(native.countNonzero(view, size)).toBe(1);
    });
  });

  it('treats NaN as nonzero and -0 as zero, like the oracle', () => {
    const size: Size3 = [3, 2, 2];
    const data = new Float32Array(12);
    data[index(size, 0, 0, 0)] = -0;
    data[index(size, 1, 1, 1)] = NaN;
    for (const impl of [native, oracle]) {
      expect(impl.nonzeroBoundingBox(data, size)).toEqual({ min: [1, 1, 1], max: [1, 1, 1] });
      expect(impl.countNonzero(data, size)).toBe(1);
    }
  });

  it('accepts a Buffer (a Uint8Array)', () => {
    const buf = Buffer.alloc(8);
    buf[5] = 1;
    expect(native.countNonzero(buf, [2, 2, 2])).toBe(1);
    expect(native.nonzeroBoundingBox(buf, [2, 2, 2])).toEqual({ min: [1, 0, 1], max: [1, 0, 1] });
  });

  describe('argument checks throw JavaScript errors', () => {
    // The raw addon functions (the wrapper always passes two arguments), typed loosely to hand
    // them what a careless caller might.
    const addon = native.loadNative() as unknown as Record<string, (...args: unknown[]) => unknown>;
    const fns = [
      ['nonzeroBoundingBox', addon.nonzeroBoundingBox],
      ['countNonzero', addon.countNonzero],
    ] as const;
    const ok = new Uint8Array(24);

    it.each(fns)('%s', (name, fn) => {
      const call =
        (...args: unknown[]) =>
        () =>
          fn(...args);
      // argument count
      expect(call()).toThrow(TypeError);
      expect(call()).toThrow(new RegExp(`${name}\\(data, size\\) expects 2 arguments, got 0`));
      expect(call(ok)).toThrow(/expects 2 arguments, got 1/);
      expect(call(ok, [2, 3, 4], 1)).toThrow(/expects 2 arguments, got 3/);
      // data type
      for (const bad of [[0, 1, 2], 'abc', null, undefined, 42, {}, ok.buffer, new DataView(ok.buffer)]) {
        expect(call(bad, [2, 3, 4])).toThrow(TypeError);
        expect(call(bad, [2, 3, 4])).toThrow(/data must be a Uint8Array, Int16Array, .*Float32Array, got /);
      }
      expect(call(new Float64Array(24), [2, 3, 4])).toThrow(/got Float64Array/);
      expect(call(new Uint8ClampedArray(24), [2, 3, 4])).toThrow(/got Uint8ClampedArray/);
      expect(call(new Int8Array(24), [2, 3, 4])).toThrow(/got Int8Array/);
      // size shape and values
      expect(call(ok, new Int32Array([2, 3, 4]))).toThrow(TypeError);
      expect(call(ok, 24)).toThrow(/size must be an Array \[X, Y, Z\] of 3 positive integers, got number/);
      expect(call(ok, [4, 6])).toThrow(RangeError);
      expect(call(ok, [4, 6])).toThrow(/size must have exactly 3 elements \[X, Y, Z\], got 2/);
      expect(call(ok, [2, 3, 2, 2])).toThrow(/exactly 3 elements .*got 4/);
      expect(call(ok, [2, 3.5, 4])).toThrow(RangeError);
      expect(call(ok, [2, 3.5, 4])).toThrow(/size\[1\] must be a positive integer, got 3\.5/);
      expect(call(ok, [0, 3, 4])).toThrow(/size\[0\] must be a positive integer, got 0/);
      expect(call(ok, [2, 3, -4])).toThrow(/size\[2\] must be a positive integer, got -4/);
      expect(call(ok, [2, NaN, 4])).toThrow(/size\[1\] must be a positive integer, got nan/i);
      expect(call(ok, [2, Infinity, 4])).toThrow(/size\[1\] must be a positive integer/);
      expect(call(ok, [2, '3', 4])).toThrow(TypeError);
      expect(call(ok, [2, '3', 4])).toThrow(/size\[1\] must be a positive integer, got string/);
      expect(call(ok, [2, 2 ** 60, 4])).toThrow(/size\[1\] is too large/);
      expect(call(ok, [2 ** 30, 2 ** 30, 2 ** 30])).toThrow(RangeError);
      expect(call(ok, [2 ** 30, 2 ** 30, 2 ** 30])).toThrow(/overflows/);
      expect(call(ok, [2 ** 26, 2 ** 27, 1])).toThrow(
        /overflows: the voxel count X\*Y\*Z exceeds 9007199254740991/,
      );
      expect(call(ok, [2 ** 30, 2 ** 30, 'x'])).toThrow(/size\[2\] must be a positive integer, got string/);
      // element count
      expect(call(ok, [2, 3, 5])).toThrow(RangeError);
      expect(call(ok, [2, 3, 5])).toThrow(/data has 24 elements but size \[2, 3, 5\] needs X\*Y\*Z = 30/);
      expect(call(new Uint8Array(25), [2, 3, 4])).toThrow(/data has 25 elements .* = 24/);
      expect(call(new Float32Array(1), [2, 3, 4])).toThrow(/data has 1 elements/);
      // still alive and correct afterwards
      expect(fn(ok, [2, 3, 4])).toEqual(name === 'countNonzero' ? 0 : null);
    });

    it('the typed wrapper passes the checks through', () => {
      expect(() => native.countNonzero(new Uint8Array(5), [2, 2, 1])).toThrow(/data has 5 elements/);
      expect(() => native.nonzeroBoundingBox(new Uint8Array(4), [2, 2, 0])).toThrow(/positive integer/);
      expect(() => native.countNonzero([1, 2] as unknown as Uint8Array, [2, 1, 1])).toThrow(/got Array/);
    });

    it('a separate process survives every bad call and exits cleanly', () => {
      const script = `
        const addon = require(${JSON.stringify(native.addonPath())});
        const bad = [[], [new Uint8Array(4)], [new Uint8Array(4), [2, 2]], [new Uint8Array(4), [2, 2, 0]],
          [new Uint8Array(4), [2, 2, 1.5]], [new Uint8Array(4), [2, 2, 2]], [new Uint8Array(9), [2, 2, 1]],
          [[1, 2, 3, 4], [2, 2, 1]], [new Float64Array(4), [2, 2, 1]], [new Uint8Array(4), [1e300, 1e300, 1]]];
        let thrown = 0;
        for (const f of [addon.nonzeroBoundingBox, addon.countNonzero])
          for (const args of bad) { try { f(...args); } catch (e) { if (e instanceof TypeError || e instanceof RangeError) thrown++; } }
        console.log(JSON.stringify({ thrown, count: addon.countNonzero(new Int16Array([0, -1, 2, 0]), [2, 2, 1]) }));
      `;
      const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ thrown: 20, count: 2 });
    });
  });

  it('reports a missing addon with the build command', () => {
    expect(() => native.loadAddon('/nonexistent/native/build/Release/medals_native.node')).toThrow(
      /medals native addon not found at .*; run `npm run build:native`/,
    );
    // A module URL outside any medals package cannot locate the addon at all.
    expect(() => native.addonPath('file:///')).toThrow(/no package\.json named "medals"/);
  });
});
