/**
 * Intensity scaling to 0..255 (functions/steps/preprocess/intensity.ts): analytic cases whose outputs
 * are known exactly, window edges, refusals, and numpy.percentile parity when a Python with numpy
 * is available.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../functions/lib/core/random.js';
import type { VoxelArray } from '../../../functions/lib/geometry/volume.js';
import { percentiles, scaleIntensity } from '../../../functions/steps/preprocess/intensity.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** n background voxels of `bg`, then the integers from..to. */
function ramp<T extends Float32Array | Int16Array | Uint16Array>(
  Ctor: new (n: number) => T,
  bg: number,
  nBg: number,
  from: number,
  to: number,
): T {
  const a = new Ctor(nBg + to - from + 1);
  a.fill(bg, 0, nBg);
  for (let v = from; v <= to; v++) a[nBg + v - from] = v;
  return a;
}

describe('CT fixed window (level 40, width 400)', () => {
  it('maps a ramp exactly: (clamp(v, -160, 240) + 160) / 400 x 255', () => {
    const data = Int16Array.from([-1000, -160, -60, 40, 140, 240, 3000]);
    const { data: out, mapping } = scaleIntensity(data, { modality: 'CT' });
    // -60 -> 100 / 400 x 255 = 63.75; 40 -> 127.5; 140 -> 191.25: all exact in float32.
    expect(Array.from(out)).toEqual([0, 0, 63.75, 127.5, 191.25, 255, 255]);
    expect(mapping).toMatchObject({
      method: 'ct-window',
      low: -160,
      high: 240,
      window: { level: 40, width: 400 },
      input: { min: -1000, max: 3000 },
      output: { min: 0, max: 255 },
    });
    expect(JSON.parse(JSON.stringify(mapping))).toEqual(mapping);
  });

  it('gives integer voxels (looked up per value) exactly what float voxels get per voxel', () => {
    const random = new SeededRandom(11);
    const values = Array.from({ length: 5000 }, () => Math.floor(random.next() * 4001) - 1024);
    const expected = values.map((v) => Math.fround(((Math.min(240, Math.max(-160, v)) + 160) / 400) * 255));
    for (const data of [Int16Array.from(values), Int32Array.from(values), Float32Array.from(values)]) {
      expect(Array.from(scaleIntensity(data, { modality: 'CT' }).data), data.constructor.name).toEqual(
        expected,
      );
    }
    const bytes = values.map((v) => (v + 1024) % 256);
    const mapped = scaleIntensity(Uint8Array.from(bytes), { modality: 'MRI' });
    expect(Array.from(mapped.data)).toEqual(
      Array.from(scaleIntensity(Float32Array.from(bytes), { modality: 'MRI' }).data),
    );
  });

  it('is exact at the window edges and clamps just outside', () => {
    const data = Float32Array.from([-161, -160, -159, 239, 240, 241]);
    const out = scaleIntensity(data, { modality: 'CT' }).data;
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(0);
    expect(out[2]).toBe(Math.fround((1 / 400) * 255)); // 0.6375
    expect(out[3]).toBe(Math.fround((399 / 400) * 255)); // 254.3625
    expect(out[4]).toBe(255);
    expect(out[5]).toBe(255);
  });

  it('takes another window', () => {
    // Lung window level -600 / width 1500: -1350 .. 150; -600 -> 750 / 1500 x 255 = 127.5.
    const out = scaleIntensity(Int16Array.from([-2000, -600, 150]), {
      modality: 'CT',
      window: { level: -600, width: 1500 },
    });
    expect(Array.from(out.data)).toEqual([0, 127.5, 255]);
    expect(out.mapping.low).toBe(-1350);
  });
});

describe('percentile clip', () => {
  // 201 foreground values: position (201 - 1) x 0.005 = 1 and 200 x 0.995 = 199 exactly in double,
  // so the 0.5 / 99.5 percentiles are the 2nd and 200th smallest values.
  it('MRI: foreground above the minimum, 0.5..99.5 percentiles, then min-max', () => {
    // 50 background zeros + 1..201: foreground 1..201 -> low = 2, high = 200;
    // 101 -> 99 / 198 x 255 = 127.5; 0, 1, 2 -> 0; 200, 201 -> 255.
    const data = ramp(Float32Array, 0, 50, 1, 201);
    const { data: out, mapping } = scaleIntensity(data, { modality: 'MRI' });
    expect(mapping).toMatchObject({ method: 'percentile-minmax', low: 2, high: 200 });
    expect(mapping.percentiles).toMatchObject({
      low: 0.5,
      high: 99.5,
      foregroundVoxels: 201,
      totalVoxels: 251,
    });
    expect(out[0]).toBe(0);
    expect(out[50]).toBe(0); // 1
    expect(out[51]).toBe(0); // 2
    expect(out[50 + 100]).toBe(127.5); // 101
    expect(out[50 + 199]).toBe(255); // 200
    expect(out[50 + 200]).toBe(255); // 201
    expect(out[50 + 34]).toBeCloseTo(42.5, 4); // 35: 33 / 198 x 255
    expect(mapping.output).toEqual({ min: 0, max: 255 });
  });

  it('gives the same answer through the 16-bit histogram path', () => {
    const a = scaleIntensity(ramp(Uint16Array, 0, 50, 1, 201), { modality: 'US' });
    const b = scaleIntensity(ramp(Float32Array, 0, 50, 1, 201), { modality: 'US' });
    expect(a.mapping.low).toBe(2);
    expect(a.mapping.high).toBe(200);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });

  it('CT option: foreground above -500 HU', () => {
    // 1000 voxels of air (-1024) + -100..100: foreground 201 values -> low -99, high 99; 0 -> 127.5.
    const data = ramp(Int16Array, -1024, 1000, -100, 100);
    const { data: out, mapping } = scaleIntensity(data, { modality: 'CT', ctMethod: 'percentile' });
    expect(mapping).toMatchObject({ method: 'ct-foreground-percentile', low: -99, high: 99 });
    expect(mapping.percentiles?.foreground).toContain('-500 HU');
    expect(mapping.percentiles?.foregroundVoxels).toBe(201);
    expect(out[0]).toBe(0);
    expect(out[1000 + 100]).toBe(127.5);
    expect(out[1000 + 200]).toBe(255);
  });

  it('takes other percentiles', () => {
    // 0..100 over 101 voxels with percentiles 10 / 90 of foreground 1..100 (n = 100):
    // positions 99 x 0.1 = 9.9 and 99 x 0.9 = 89.1 -> 10.9 and 90.1.
    const a = new Float32Array(101).map((_, i) => i);
    const { mapping } = scaleIntensity(a, { modality: 'PET', percentiles: [10, 90] });
    expect(mapping.low).toBeCloseTo(10.9, 12);
    expect(mapping.high).toBeCloseTo(90.1, 12);
  });
});

describe('challenge npz', () => {
  it('passes uint8 through unchanged', () => {
    const data = Uint8Array.from([0, 1, 128, 255, 7]);
    const { data: out, mapping } = scaleIntensity(data, { modality: 'CT', challengeNpz: true });
    expect(Array.from(out)).toEqual([0, 1, 128, 255, 7]);
    expect(out).toBeInstanceOf(Float32Array);
    expect(mapping).toMatchObject({ method: 'none', low: null, high: null, output: { min: 0, max: 255 } });
  });

  it('refuses a non-uint8 npz image', () => {
    expect(
      codeOf(() => scaleIntensity(Int16Array.from([0, 5]), { modality: 'CT', challengeNpz: true })),
    ).toBe('INVALID_INPUT');
  });
});

describe('refusals', () => {
  it('refuses a constant image', () => {
    const f = () => scaleIntensity(new Float32Array(10).fill(3), { modality: 'MRI' });
    expect(f).toThrow(/constant image/);
    expect(codeOf(f)).toBe('INVALID_INPUT');
    expect(codeOf(() => scaleIntensity(new Int16Array(10).fill(40), { modality: 'CT' }))).toBe(
      'INVALID_INPUT',
    );
  });

  it('refuses NaN and infinite voxels', () => {
    const nan = () => scaleIntensity(Float32Array.from([0, NaN, 1]), { modality: 'CT' });
    expect(nan).toThrow(/NaN voxel at index 1/);
    expect(codeOf(nan)).toBe('INVALID_INPUT');
    expect(() => scaleIntensity(Float32Array.from([0, Infinity]), { modality: 'MRI' })).toThrow(/infinite/);
  });

  it('refuses a foreground whose percentiles coincide', () => {
    const data = Float32Array.from([0, 0, 0, 5, 5, 5, 5]);
    const f = () => scaleIntensity(data, { modality: 'MRI' });
    expect(f).toThrow(/nearly constant/);
    expect(codeOf(f)).toBe('INVALID_INPUT');
  });

  it('refuses an empty CT foreground', () => {
    const f = () =>
      scaleIntensity(Int16Array.from([-1000, -900]), { modality: 'CT', ctMethod: 'percentile' });
    expect(f).toThrow(/foreground .* is empty/);
  });

  it('refuses a bad window or percentile pair', () => {
    const d = Float32Array.from([0, 1]);
    expect(codeOf(() => scaleIntensity(d, { modality: 'CT', window: { level: 0, width: 0 } }))).toBe(
      'INVALID_INPUT',
    );
    expect(codeOf(() => scaleIntensity(d, { modality: 'MRI', percentiles: [60, 40] }))).toBe('INVALID_INPUT');
  });
});

/** A Python that imports numpy, or null. */
function numpyPython(): string | null {
  for (const p of [process.env.MEDALS_PYTHON, '/usr/bin/python3', 'python3']) {
    if (!p) continue;
    const r = spawnSync(p, ['-c', 'import numpy'], { encoding: 'utf8', timeout: 20_000 });
    if (r.status === 0) return p;
  }
  return null;
}

const python = numpyPython();
if (!python) console.warn('intensity.test: no Python with numpy found, numpy.percentile parity skipped');

describe('percentiles', () => {
  it('interpolates like numpy linear on small hand cases', () => {
    // [1, 2, 3, 4]: 50 -> position 1.5 -> 2.5; 25 -> 0.75 -> 1.75; 0 / 100 -> ends.
    const a = Float32Array.from([4, 1, 3, 2]);
    expect(percentiles(a, [0, 25, 50, 100]).values).toEqual([1, 1.75, 2.5, 4]);
    expect(percentiles(Float32Array.from([7]), [0, 50, 100]).values).toEqual([7, 7, 7]);
    expect(percentiles(Int16Array.from([-3, 9]), [50]).values).toEqual([3]);
  });

  it.skipIf(!python)('matches numpy.percentile exactly on random data', () => {
    const rng = new SeededRandom(7);
    const qs = [0, 0.5, 1, 25, 50, 73.3, 99, 99.5, 100];
    const sets: { data: VoxelArray; keepAbove: number | null }[] = [];
    for (const n of [1, 2, 3, 7, 100, 1001, 20_000]) {
      sets.push({ data: Float32Array.from({ length: n }, () => rng.normal() * 300 + 40), keepAbove: null });
      sets.push({ data: Int16Array.from({ length: n }, () => rng.int(-1024, 3000)), keepAbove: null });
      sets.push({ data: Int16Array.from({ length: n }, () => rng.int(-1024, 3000)), keepAbove: -500 });
      sets.push({ data: Int32Array.from({ length: n }, () => rng.int(-1e8, 1e8)), keepAbove: null });
      // Heavy duplicates (quickselect's three-way partition) and a zero background.
      sets.push({
        data: Float32Array.from({ length: n }, () => (rng.next() < 0.6 ? 0 : rng.int(1, 20))),
        keepAbove: 0,
      });
      sets.push({ data: Uint8Array.from({ length: n }, () => rng.int(0, 255)), keepAbove: null });
    }
    const ours = sets.map(({ data, keepAbove }) => percentiles(data, qs, keepAbove).values);
    const payload = JSON.stringify({
      qs,
      sets: sets.map(({ data, keepAbove }) => ({ data: Array.from(data), keepAbove })),
    });
    const script = [
      'import json, sys, numpy as np',
      'p = json.load(sys.stdin)',
      'out = []',
      'for s in p["sets"]:',
      '    a = np.array(s["data"], dtype=np.float64)',
      '    if s["keepAbove"] is not None: a = a[a > s["keepAbove"]]',
      '    out.append([float(x) for x in np.percentile(a, p["qs"])] if a.size else None)',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(python as string, ['-c', script], {
      input: payload,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout) as (number[] | null)[];
    let compared = 0;
    theirs.forEach((t, i) => {
      if (t === null) return;
      expect(ours[i]).toEqual(t);
      compared++;
    });
    expect(compared).toBeGreaterThan(35);
  });
});
