/**
 * Challenge metrics (functions/lib/metrics): DSC and instance F1 against hand-counted answers on
 * hand-built volumes, the evaluator's conventions (empty masks, absent classes, uint8 cast,
 * binary predictions split into components), geometry checks, the Hungarian assignment against
 * brute force, and semantic / instance metrics against an independent numpy + scipy computation
 * (skipped, with a message, without python3 + scipy).
 */
import { describe, expect, it } from 'vitest';

import { MedalsError } from '../../../functions/lib/core/errors.js';
import { type Vec3, Volume, type VoxelArray } from '../../../functions/lib/geometry/volume.js';
import {
  dice,
  evaluatorSpacing,
  instanceMetrics,
  linearSumAssignment,
  nanMean,
  semanticMetrics,
  surfelAreas,
} from '../../../functions/lib/metrics/index.js';
import * as native from '../../../native/index.js';
import type { Size3 } from '../../../native/index.js';
import { geometry, paintEllipsoid } from '../../helpers/geometry.js';
import { findPython } from '../../helpers/python.js';
import { type ReferenceInput, runReference } from '../../helpers/surface-reference.js';
import { prng } from '../../helpers/prng.js';

const python = findPython(['numpy', 'scipy.ndimage', 'scipy.optimize']);
if (python === null) {
  console.warn(
    'metrics.test.ts: python checks SKIPPED, no python3 with numpy and scipy found ' +
      '(tried $MEDALS_PYTHON, python3, /usr/bin/python3)',
  );
}

function volume(data: VoxelArray, size: Vec3, spacing: Vec3 = [1, 1, 1]): Volume {
  return new Volume(geometry(size, spacing), data);
}

/** Sets the inclusive box [x0..x1] x [y0..y1] x [z0..z1] of `data` (x fastest) to `value`. */
function box(data: VoxelArray, size: Vec3, lo: Vec3, hi: Vec3, value: number): void {
  for (let z = lo[2]; z <= hi[2]; z++) {
    for (let y = lo[1]; y <= hi[1]; y++) {
      for (let x = lo[0]; x <= hi[0]; x++) data[x + size[0] * (y + size[1] * z)] = value;
    }
  }
}

/** A uint8 label volume of `size` with the inclusive boxes [lo, hi] set to their values, in order. */
function boxes(size: Vec3, list: [lo: Vec3, hi: Vec3, value: number][]): Uint8Array {
  const data = new Uint8Array(size[0] * size[1] * size[2]);
  for (const [lo, hi, value] of list) box(data, size, lo, hi, value);
  return data;
}

function blobs(size: Vec3, n: number, seed: number, values: number[], base?: Uint8Array): Uint8Array {
  const r = prng(seed);
  const out = base ?? new Uint8Array(size[0] * size[1] * size[2]);
  for (let b = 0; b < n; b++) {
    const value = values[b % values.length];
    const c = size.map((s) => r() * s);
    const rad = size.map((s) => 1 + r() * Math.max(1, s / 5));
    paintEllipsoid(out, size, c, rad, value);
  }
  return out;
}

/**
 * A plausible prediction: each value v of `labels` moved by its own offset of 0..2 voxels along
 * one axis, mapped through `value`, with 5 % of the voxels then set to 0 or to a neighbour's value.
 */
function distort(labels: Uint8Array, size: Vec3, seed: number, value: (v: number) => number): Uint8Array {
  const r = prng(seed);
  const [nx, ny, nz] = size;
  const offsets = new Map<number, Vec3>();
  const out = new Uint8Array(labels.length);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const v = labels[x + nx * (y + ny * z)];
        if (v === 0) continue;
        if (!offsets.has(v)) {
          const d: Vec3 = [0, 0, 0];
          d[Math.floor(r() * 3)] = Math.floor(r() * 3);
          offsets.set(v, d);
        }
        const [dx, dy, dz] = offsets.get(v)!;
        const [tx, ty, tz] = [x + dx, y + dy, z + dz];
        if (tx < nx && ty < ny && tz < nz) out[tx + nx * (ty + ny * tz)] = value(v);
      }
    }
  }
  for (let i = 0; i < out.length; i++) {
    if (r() < 0.05) out[i] = r() < 0.5 ? 0 : out[Math.min(out.length - 1, i + 1)];
  }
  return out;
}

async function expectInvalid(promise: Promise<unknown>, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MedalsError);
  expect((error as MedalsError).code).toBe('INVALID_INPUT');
  expect((error as MedalsError).message).toMatch(message);
}

describe('dice', () => {
  it('matches hand counts', () => {
    // gt: 4 voxels, pred: 6 voxels, 3 shared -> 2 * 3 / 10
    const gt = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const pred = Uint8Array.from([0, 1, 1, 1, 1, 1, 0, 0, 0, 1]);
    expect(dice(gt, pred)).toBe(0.6);
    expect(dice(gt, new Uint8Array(10))).toBe(0);
    expect(dice(new Uint8Array(10), new Uint8Array(10))).toBeNaN();
    // per label: label 2 has gt {0, 1}, pred {1, 2, 3}, overlap {1} -> 2 / 5
    expect(dice([2, 2, 1, 0], [1, 2, 2, 2], { label: 2 })).toBe(0.4);
    expect(() => dice(gt, new Uint8Array(9))).toThrow(/10 voxels but the prediction 9/);
  });

  it('nanMean ignores NaN and is NaN when nothing is left', () => {
    expect(nanMean([1, NaN, 0.5])).toBe(0.75);
    expect(nanMean([NaN])).toBeNaN();
    expect(nanMean([])).toBeNaN();
  });
});

describe('semanticMetrics', () => {
  const size: Vec3 = [10, 8, 6];
  const n = size[0] * size[1] * size[2];

  /** gt: label 1 a 4x4x4 cube (64), label 2 a 2x2x2 cube (8); pred: label 1 shifted by one in x, label 3 extra. */
  function handBuilt() {
    const gt = boxes(size, [
      [[0, 0, 0], [3, 3, 3], 1],
      [[6, 5, 3], [7, 6, 4], 2],
    ]);
    const pred = boxes(size, [
      [[1, 0, 0], [4, 3, 3], 1], // 64 voxels, 48 shared with gt label 1
      [[8, 0, 0], [9, 1, 1], 3], // label 3: not in gt, not penalised
    ]);
    return { gt, pred };
  }

  it('scores every class present in the ground truth with hand-counted DSC', async () => {
    const { gt, pred } = handBuilt();
    const m = await semanticMetrics(volume(gt, size), volume(pred, size));
    expect(m.classes.map((c) => c.label)).toEqual([1, 2]);
    const [c1, c2] = m.classes;
    expect([c1.gtVoxels, c1.predVoxels, c1.intersection]).toEqual([64, 64, 48]);
    expect(c1.dsc).toBe(0.75);
    // label 2 is missed entirely: DSC 0 and NSD 0 (the prediction has no surface)
    expect([c2.dsc, c2.nsd, c2.predSurfaceArea]).toEqual([0, 0, 0]);
    // a one-voxel (1 mm) shift is within the 2 mm tolerance everywhere, not within 0.5 mm
    expect(c1.nsd).toBe(1);
    expect(m.dsc).toBe(0.375);
    expect(m.nsd).toBe(0.5);
    const tight = await semanticMetrics(volume(gt, size), volume(pred, size), { tolerance: 0.5 });
    expect(tight.classes[0].nsd).toBeGreaterThan(0);
    expect(tight.classes[0].nsd).toBeLessThan(1);
    expect(m.tolerance).toBe(2);
    expect(m.notInGroundTruth).toEqual([]);
  });

  it('scores only prompted labels present in the ground truth', async () => {
    const { gt, pred } = handBuilt();
    const m = await semanticMetrics(volume(gt, size), volume(pred, size), { labels: [3, 1, 7] });
    expect(m.classes.map((c) => c.label)).toEqual([1]);
    expect(m.notInGroundTruth).toEqual([3, 7]);
    expect(m.dsc).toBe(0.75);
    const perfect = await semanticMetrics(volume(gt, size), volume(gt.slice(), size), { labels: [1, 2] });
    expect([perfect.dsc, perfect.nsd]).toEqual([1, 1]);
  });

  it('gives NaN case scores when no prompted class is in the ground truth', async () => {
    const { pred } = handBuilt();
    const m = await semanticMetrics(volume(new Uint8Array(n), size), volume(pred, size));
    expect(m.classes).toEqual([]);
    expect(m.dsc).toBeNaN();
    expect(m.nsd).toBeNaN();
  });

  it('follows the evaluator: uint8 cast and np.unique(gt)[1:]', async () => {
    const gt = new Int16Array(n);
    box(gt, size, [0, 0, 0], [3, 3, 3], 257); // 257 -> 1 after the uint8 cast
    const pred = new Int16Array(n);
    box(pred, size, [0, 0, 0], [3, 3, 3], 1);
    const cast = await semanticMetrics(volume(gt, size), volume(pred, size));
    expect(cast.classes.map((c) => [c.label, c.dsc])).toEqual([[1, 1]]);
    const raw = await semanticMetrics(volume(gt, size), volume(pred, size), { castToUint8: false });
    expect(raw.classes.map((c) => [c.label, c.dsc])).toEqual([[257, 0]]);
    // no background voxel: the smallest value is dropped, as np.unique(gt)[1:] does
    const full = new Uint8Array(n).fill(2);
    box(full, size, [0, 0, 0], [1, 1, 1], 5);
    const m = await semanticMetrics(volume(full, size), volume(full.slice(), size));
    expect(m.classes.map((c) => c.label)).toEqual([5]);
  });

  it('scores uint8 maps (one native pass) as other label arrays (plain passes)', async () => {
    // uint8 maps go through labelOverlap and the union boxes it finds; Int32 copies without the
    // cast through per-voxel Maps and labelBoxes: the same classes, counts and metrics, exactly.
    const big: Vec3 = [37, 29, 17];
    for (const seed of [5, 6, 7]) {
      const gt = blobs(big, 9, seed, [1, 2, 3, 9, 200, 255]);
      const pred = distort(gt, big, seed + 100, (v) => (v === 9 ? 8 : v));
      const spacing: Vec3 = [0.8, 0.9, 2.5];
      for (const labels of [undefined, [255, 2, 8, 9, 77]]) {
        const options = { ...(labels ? { labels } : {}), tolerance: 2 };
        const fast = await semanticMetrics(volume(gt, big, spacing), volume(pred, big, spacing), options);
        const plain = await semanticMetrics(
          volume(Int32Array.from(gt), big, spacing),
          volume(Int32Array.from(pred), big, spacing),
          { ...options, castToUint8: false },
        );
        expect(fast, `seed ${seed} labels ${String(labels)}`).toEqual(plain);
        expect(fast.classes.length).toBeGreaterThan(0);
      }
    }
  });

  it('uses the ground truth spacing (or the given one) for the NSD', async () => {
    const { gt, pred } = handBuilt();
    const spacing: Vec3 = [0.5, 0.5, 3];
    const a = await semanticMetrics(volume(gt, size, spacing), volume(pred, size, spacing), { labels: [1] });
    const b = native.surfaceDice(gt, pred, size, spacing, 2, { label: 1 });
    expect(a.classes[0].nsd).toBe(b.nsd);
    expect(a.spacing).toEqual(spacing);
    const c = await semanticMetrics(volume(gt, size), volume(pred, size), {
      labels: [1],
      spacing,
      tolerance: 1,
    });
    expect(c.classes[0].nsd).toBe(native.surfaceDice(gt, pred, size, spacing, 1, { label: 1 }).nsd);
  });

  it('refuses geometry mismatches and bad options with INVALID_INPUT', async () => {
    const { gt, pred } = handBuilt();
    const g = volume(gt, size, [1, 1, 2]);
    await expectInvalid(semanticMetrics(g, volume(pred, size, [1, 1, 2.5])), /geometry.*differs/);
    await expectInvalid(
      semanticMetrics(g, volume(new Uint8Array(n), [8, 10, 6], [1, 1, 2])),
      /size 8x10x6 differs from ground truth size 10x8x6/,
    );
    const moved = new Volume({ ...g.geometry, origin: [0, 0, 5] }, pred);
    await expectInvalid(semanticMetrics(g, moved), /geometry/);
    const turned = new Volume({ ...g.geometry, direction: [0, 1, 0, 1, 0, 0, 0, 0, 1] }, pred);
    await expectInvalid(instanceMetrics(g, turned), /geometry/);
    await expectInvalid(
      semanticMetrics(g, volume(new Float32Array(n), size, [1, 1, 2])),
      /integer label volume/,
    );
    await expectInvalid(semanticMetrics(g, volume(pred, size, [1, 1, 2]), { tolerance: -1 }), /tolerance/);
    await expectInvalid(semanticMetrics(g, volume(pred, size, [1, 1, 2]), { spacing: [1, 0, 1] }), /spacing/);
    await expectInvalid(semanticMetrics(g, volume(pred, size, [1, 1, 2]), { labels: [1.5] }), /labels/);
  });

  it('maps the npz spacing (applied to D, H, W) onto the volume axes', () => {
    expect(evaluatorSpacing([3, 0.8, 0.7])).toEqual([0.7, 0.8, 3]);
    expect(() => evaluatorSpacing([1, 1])).toThrow(/three positive/);
    expect(surfelAreas([1, 1, 1])[255]).toBe(0);
  });
});

describe('instanceMetrics', () => {
  const size: Vec3 = [20, 10, 6];
  const n = size[0] * size[1] * size[2];

  /**
   * gt: A (3x3x3 = 27) at x 0..2, B (4x2x2 = 16) at x 5..8, C (2x2x2 = 8) at x 12..13.
   * pred (binary): A exactly; B shifted by one in x (overlap 12, union 20, IoU 0.6); C shifted by
   * one in x and y (overlap 2, union 14, IoU 1/7); a false positive at x 17..18.
   * -> TP 2 (A, B), FP 2, FN 1: P = 1/2, R = 2/3, F1 = 4/7; DSC TP = (1 + 24/32) / 2.
   */
  function handBuilt() {
    const gt = boxes(size, [
      [[0, 0, 0], [2, 2, 2], 1],
      [[5, 0, 0], [8, 1, 1], 2],
      [[12, 0, 0], [13, 1, 1], 3],
    ]);
    const pred = boxes(size, [
      [[0, 0, 0], [2, 2, 2], 1],
      [[6, 0, 0], [9, 1, 1], 1],
      [[13, 1, 0], [14, 2, 1], 1],
      [[17, 5, 3], [18, 6, 4], 1],
    ]);
    return { gt, pred };
  }

  it('matches hand counts on a binary prediction', async () => {
    const { gt, pred } = handBuilt();
    const m = await instanceMetrics(volume(gt, size), volume(pred, size));
    expect(m.predictionRelabelled).toBe(true);
    expect([m.gtInstances, m.predInstances, m.tp, m.fp, m.fn]).toEqual([3, 4, 2, 2, 1]);
    expect(m.precision).toBe(0.5);
    expect(m.recall).toBe(2 / 3);
    expect(m.f1).toBeCloseTo(4 / 7, 15);
    expect(m.dscTp).toBe((1 + 24 / 32) / 2);
    expect(m.matches.map((q) => [q.gt, q.iou])).toEqual([
      [1, 1],
      [2, 0.6],
    ]);
  });

  it('keeps an instance prediction (more than two values) as it is', async () => {
    const { gt } = handBuilt();
    // two touching instances of the prediction stay two; they cover A half and half
    const pred = new Uint8Array(n);
    box(pred, size, [0, 0, 0], [2, 2, 0], 4); // 9 voxels of A
    box(pred, size, [0, 0, 1], [2, 2, 2], 9); // 18 voxels of A: IoU 18/27
    const m = await instanceMetrics(volume(gt, size), volume(pred, size));
    expect(m.predictionRelabelled).toBe(false);
    expect([m.predInstances, m.tp, m.fp, m.fn]).toEqual([2, 1, 1, 2]);
    expect(m.matches[0]).toMatchObject({ gt: 1, pred: 2, gtValue: 1, predValue: 9 });
    expect(m.matches[0].iou).toBe(18 / 27);
    expect(m.matches[0].dice).toBe(36 / 45);
  });

  it('splits a binary prediction with 6-connectivity (diagonal neighbours are separate)', async () => {
    const gt = new Uint8Array(n);
    box(gt, size, [0, 0, 0], [0, 0, 0], 1);
    box(gt, size, [1, 1, 0], [1, 1, 0], 2);
    const m = await instanceMetrics(
      volume(gt, size),
      volume(
        Uint8Array.from(gt, (v) => (v ? 7 : 0)),
        size,
      ),
    );
    expect([m.predInstances, m.tp, m.f1, m.dscTp]).toEqual([2, 2, 1, 1]);
  });

  it('counts IoU exactly 0.5 as a match', async () => {
    const gt = new Uint8Array(n);
    box(gt, size, [0, 0, 0], [1, 0, 0], 1);
    const pred = new Uint8Array(n);
    box(pred, size, [0, 0, 0], [0, 0, 0], 1);
    const m = await instanceMetrics(volume(gt, size), volume(pred, size));
    expect([m.tp, m.f1]).toEqual([1, 1]);
    expect(m.matches[0].iou).toBe(0.5);
    expect(m.dscTp).toBe(2 / 3);
  });

  it('empty prediction: F1 0 and DSC TP 0 (tp = fp = fn = 0, as the evaluator); empty gt: F1 0', async () => {
    const { gt, pred } = handBuilt();
    const none = await instanceMetrics(volume(gt, size), volume(new Uint8Array(n), size));
    expect(none).toMatchObject({ f1: 0, dscTp: 0, tp: 0, fp: 0, fn: 0, gtInstances: 3, predInstances: 0 });
    const noGt = await instanceMetrics(volume(new Uint8Array(n), size), volume(pred, size));
    expect(noGt).toMatchObject({ f1: 0, dscTp: 0, tp: 0, fp: 4, fn: 0, gtInstances: 0, predInstances: 4 });
  });

  it('casts to uint8 as the evaluator (instances 256 apart merge) unless told not to', async () => {
    const gt = new Int32Array(n);
    box(gt, size, [0, 0, 0], [1, 1, 1], 1);
    box(gt, size, [5, 0, 0], [6, 1, 1], 257);
    const pred = new Int32Array(n);
    box(pred, size, [0, 0, 0], [1, 1, 1], 1);
    box(pred, size, [5, 0, 0], [6, 1, 1], 2);
    box(pred, size, [10, 0, 0], [11, 1, 1], 3);
    const cast = await instanceMetrics(volume(gt, size), volume(pred, size));
    // 1 and 257 are one instance of 16 voxels, IoU 8/16 with each of the first two predictions
    expect([cast.gtInstances, cast.tp, cast.fp, cast.fn]).toEqual([1, 1, 2, 0]);
    const raw = await instanceMetrics(volume(gt, size), volume(pred, size), { castToUint8: false });
    expect([raw.gtInstances, raw.tp, raw.fp, raw.fn]).toEqual([2, 2, 1, 0]);
  });

  it('refuses geometry mismatches', async () => {
    const { gt, pred } = handBuilt();
    await expectInvalid(instanceMetrics(volume(gt, size), volume(pred, size, [1, 1, 1.5])), /geometry/);
    await expectInvalid(instanceMetrics(volume(gt, size), volume(pred, size), { threshold: 0 }), /threshold/);
  });
});

describe('linearSumAssignment', () => {
  function bruteForce(cost: number[][]): number {
    const n = cost.length;
    const m = cost[0].length;
    const k = Math.min(n, m);
    let best = Infinity;
    const usedRows = new Array<boolean>(n).fill(false);
    const usedCols = new Array<boolean>(m).fill(false);
    // choose k rows in order and assign each a distinct column (rows of the larger side may idle)
    const go = (r: number, picked: number, sum: number) => {
      if (picked === k) {
        best = Math.min(best, sum);
        return;
      }
      if (r === n || n - r < k - picked) return;
      if (n > m) go(r + 1, picked, sum); // row r left unassigned
      usedRows[r] = true;
      for (let c = 0; c < m; c++) {
        if (usedCols[c]) continue;
        usedCols[c] = true;
        go(r + 1, picked + 1, sum + cost[r][c]);
        usedCols[c] = false;
      }
      usedRows[r] = false;
    };
    go(0, 0, 0);
    return best;
  }

  it('finds the minimum cost of random matrices (square and rectangular) as brute force', () => {
    const r = prng(7);
    for (let trial = 0; trial < 300; trial++) {
      const rows = 1 + Math.floor(r() * 6);
      const cols = 1 + Math.floor(r() * 6);
      const kind = trial % 3;
      const cost = Array.from({ length: rows }, () =>
        Array.from({ length: cols }, () => {
          if (kind === 0) return r() * 10 - 5;
          if (kind === 1) return Math.floor(r() * 3); // many ties
          const iou = r() < 0.5 ? 0 : r(); // the challenge's cost structure
          return -(iou >= 0.5 ? 1 : 0) - iou / (2 * Math.min(rows, cols));
        }),
      );
      const a = linearSumAssignment(cost);
      expect(a.rows.length).toBe(Math.min(rows, cols));
      expect(new Set(a.rows).size).toBe(a.rows.length);
      expect(new Set(a.cols).size).toBe(a.cols.length);
      expect([...a.rows].sort((x, y) => x - y)).toEqual(a.rows);
      const sum = a.rows.reduce((s, row, k) => s + cost[row][a.cols[k]], 0);
      expect(Math.abs(sum - a.cost)).toBeLessThan(1e-12);
      expect(Math.abs(a.cost - bruteForce(cost))).toBeLessThan(1e-9);
    }
  });

  it('handles empty matrices and refuses non-finite costs', () => {
    expect(linearSumAssignment([])).toEqual({ rows: [], cols: [], cost: 0 });
    expect(linearSumAssignment({ rows: 0, cols: 3, data: new Float64Array(0) })).toEqual({
      rows: [],
      cols: [],
      cost: 0,
    });
    expect(() => linearSumAssignment([[1, NaN]])).toThrow(RangeError);
    expect(() => linearSumAssignment([[1, 2], [3]])).toThrow(/row 1/);
  });
});

describe.skipIf(python === null)('against numpy + scipy', () => {
  it('semantic DSC and NSD per class and case equal the reference within 1e-6', async () => {
    const cases: {
      size: Vec3;
      spacing: Vec3;
      gt: Uint8Array;
      pred: Uint8Array;
      tolerance: number;
      labels?: number[];
    }[] = [];
    let seed = 300;
    const grids: { size: Vec3; spacing: Vec3 }[] = [
      { size: [24, 20, 12], spacing: [1, 1, 1] },
      { size: [24, 20, 12], spacing: [0.7, 0.9, 2.5] },
      { size: [32, 16, 10], spacing: [0.78125, 0.78125, 3] },
      { size: [16, 16, 16], spacing: [1.5, 1.5, 1.5] },
    ];
    for (const { size, spacing } of grids) {
      const gt = blobs(size, 8, seed++, [1, 2, 3, 4]);
      // each label shifted by 0..2 voxels along x, y or z, 5 % of voxels changed, label 3 dropped, a label 5 added
      const pred = distort(gt, size, seed++, (v) => (v === 3 ? 0 : v));
      blobs(size, 1, seed++, [5], pred);
      cases.push({ size, spacing, gt, pred, tolerance: 2 });
      cases.push({ size, spacing, gt, pred, tolerance: 1, labels: [2, 4, 5] });
    }
    const inputs: ReferenceInput[] = cases.map((c) => ({
      gt: c.gt,
      pred: c.pred,
      size: c.size as Size3,
      case: { kind: 'semantic', spacing: [...c.spacing], tolerance: c.tolerance, labels: c.labels },
    }));
    const { json } = runReference(python!, inputs);
    for (const [k, c] of cases.entries()) {
      const ref = json[k] as {
        dsc: number;
        nsd: number;
        classes: { label: number; dsc: number; nsd: number }[];
      };
      const ours = await semanticMetrics(volume(c.gt, c.size, c.spacing), volume(c.pred, c.size, c.spacing), {
        labels: c.labels,
        tolerance: c.tolerance,
      });
      expect(ours.classes.map((x) => x.label)).toEqual(ref.classes.map((x) => x.label));
      expect(ours.classes.length).toBeGreaterThan(0);
      ours.classes.forEach((x, i) => {
        expect(Math.abs(x.dsc - ref.classes[i].dsc)).toBeLessThan(1e-12);
        expect(Math.abs(x.nsd - ref.classes[i].nsd), `case ${k} label ${x.label}`).toBeLessThan(1e-6);
      });
      expect(Math.abs(ours.dsc - ref.dsc)).toBeLessThan(1e-12);
      expect(Math.abs(ours.nsd - ref.nsd)).toBeLessThan(1e-6);
    }
  });

  it('instance F1 and DSC TP equal the reference (scipy label + linear_sum_assignment)', async () => {
    const size: Vec3 = [32, 24, 12];
    const cases: { gt: Uint8Array; pred: Uint8Array }[] = [];
    for (let s = 0; s < 6; s++) {
      const gt = blobs(size, 14, 500 + s, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
      // instances shifted by 0..2 voxels (IoU around 0.5), one dropped, values renumbered
      const pred = distort(gt, size, 600 + s, (v) => (v === 5 ? 0 : v === 0 ? 0 : 30 + ((v * 7) % 17)));
      blobs(size, 2, 700 + s, [60, 61], pred); // false positives
      if (s % 2 === 0) for (let i = 0; i < pred.length; i++) pred[i] = pred[i] ? 1 : 0; // binary
      cases.push({ gt, pred });
    }
    const { json } = runReference(
      python!,
      cases.map((c) => ({ gt: c.gt, pred: c.pred, size: size as Size3, case: { kind: 'instance' } })),
    );
    for (const [k, c] of cases.entries()) {
      const ref = json[k] as { f1: number; dscTp: number; tp: number; fp: number; fn: number };
      const ours = await instanceMetrics(volume(c.gt, size), volume(c.pred, size));
      expect([ours.tp, ours.fp, ours.fn], `case ${k}`).toEqual([ref.tp, ref.fp, ref.fn]);
      expect(Math.abs(ours.f1 - ref.f1)).toBeLessThan(1e-12);
      expect(Math.abs(ours.dscTp - ref.dscTp)).toBeLessThan(1e-12);
    }
  });
});
