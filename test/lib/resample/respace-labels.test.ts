/**
 * Stage 2's spatial prompts resampled as Medal S does (lib/resample/resample.ts respaceLabels, used by
 * segment/stage2.ts runStage2): the official respace_mask (inference.py L269-279, called at
 * L493-497), i.e. resample_torch_fornnunet(is_seg=True, separate_z_anisotropy_threshold=3).
 * Oracle: test/helpers/official-respace.ts, that code re-derived step by step (brute force:
 * one-hot channels over the whole volume, float16 storage, > 700 then argmax, separate-z as two
 * steps), plus torch's index rules checked against values torch 2.5.1 gave.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  linearTaps,
  nearestExactTaps,
  resampleImageToShape,
  resampleLabels,
  respaceLabels,
  workingGeometry,
} from '../../../functions/lib/resample/resample.js';
import { type Geometry, type Vec3, Volume, crop } from '../../../functions/lib/geometry/volume.js';
import { type Hwd, hwdFromXyz, planSpacing, xyzFromHwd } from '../../../functions/lib/medal-s/index.js';
import type { StageModel } from '../../../functions/steps/segment/model-loader.js';
import type { SpatialPrompts } from '../../../functions/steps/segment/run-stage.js';
import { labelPrompts, runStage2 } from '../../../functions/steps/segment/stage2.js';
import {
  official,
  officialSeparateAxis,
  torchLinear,
  torchNearestExact,
} from '../../helpers/official-respace.js';
import { geometry } from '../../helpers/geometry.js';
import { prng } from '../../helpers/prng.js';

// runStage2 hands its prompts to runRefinedStage: capture them instead of running a network.
const captured = vi.hoisted(() => [] as { prompts?: SpatialPrompts; image: Volume<'float32'> }[]);
vi.mock('../../../functions/steps/segment/refine.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../../functions/steps/segment/refine.js')>();
  const { Volume: V } = await import('../../../functions/lib/geometry/volume.js');
  return {
    ...original,
    runRefinedStage: async (run: { prompts?: SpatialPrompts; image: Volume<'float32'> }) => {
      captured.push({ prompts: run.prompts, image: run.image });
      return {
        labels: V.zeros('int32', run.image.geometry),
        maxProbability: V.zeros('float32', run.image.geometry),
        windows: 0,
        passes: 0,
        inferenceSeconds: 0,
        passesPerWindow: 2,
      };
    },
  };
});

const oblique = geometry(
  [1, 1, 1],
  [0.9, 1.1, 3.7],
  [-12.5, 30.25, 7],
  [0.9396926207859084, -0.3420201433256687, 0, 0.3420201433256687, 0.9396926207859084, 0, 0, 0, 1],
);

/** A stage-2 model of patch 16^3 at 1 mm; runRefinedStage is mocked, so it has no network. */
const STAGE2 = { patch: [16, 16, 16] as Hwd, targetSpacing: [1, 1, 1] as Hwd };

/**
 * runStage2 as an instance task (no small-component removal: the resampled maps themselves are
 * compared) on the mocked STAGE2, with what it hands runRefinedStage captured.
 */
async function runStage2Captured(
  scaled: Volume<'float32'>,
  stage1Labels: Volume<'int32'>,
  values: number[],
  classKeys: string[],
) {
  captured.length = 0;
  return runStage2({
    stage: { stage: 2, ...STAGE2 } as unknown as StageModel,
    scaled,
    stage1Labels,
    queries: new Float32Array(values.length * 8),
    values,
    classKeys,
    instance: true,
    seed: 0,
  });
}

function randomLabels(size: Vec3, r: () => number, values: number[]): Volume<'int32'> {
  const v = Volume.zeros('int32', { ...oblique, size });
  for (let b = 0; b < 7; b++) {
    const lo = size.map((n) => Math.floor(r() * n));
    const hi = lo.map((l, a) => Math.min(size[a], l + 1 + Math.floor(r() * 6)));
    const value = values[Math.floor(r() * values.length)];
    for (let z = lo[2]; z < hi[2]; z++)
      for (let y = lo[1]; y < hi[1]; y++) for (let x = lo[0]; x < hi[0]; x++) v.set(x, y, z, value);
  }
  for (let i = 0; i < v.data.length; i++) if (r() < 0.08) v.data[i] = values[Math.floor(r() * values.length)];
  return v;
}

describe('respaceLabels equals the official respace_mask, re-derived', () => {
  it('isotropic: trilinear one-hot x 1000 in float16, > 700 or argmax, on random label maps', () => {
    const r = prng(11);
    for (let c = 0; c < 24; c++) {
      const size = [0, 1, 2].map(() => 1 + Math.floor(r() * 9)) as Vec3;
      const shape = [0, 1, 2].map(() => 1 + Math.floor(r() * 14)) as Vec3;
      const labels = randomLabels(size, r, [0, 1, 2, 5, 300]);
      const got = respaceLabels(labels, shape, { separateAxis: null });
      expect(Array.from(got.data), `${size} -> ${shape}`).toEqual(official(labels, shape, null));
    }
  });

  it.each([0, 1, 2])('thick axis %i: bilinear in plane, then nearest-exact along it', (axis) => {
    const r = prng(20 + axis);
    for (let c = 0; c < 12; c++) {
      const size = [0, 1, 2].map(() => 1 + Math.floor(r() * 9)) as Vec3;
      const shape = [0, 1, 2].map(() => 1 + Math.floor(r() * 14)) as Vec3;
      const labels = randomLabels(size, r, [0, 1, 3, 4]);
      const got = respaceLabels(labels, shape, { separateAxis: axis });
      expect(Array.from(got.data), `${size} -> ${shape}`).toEqual(official(labels, shape, axis));
    }
  });

  it('float16 ties: weights within float16 resolution go to the lower value', () => {
    // In the official float16 array, 1000 w and 1000 (1 - w) for w within about 1.25e-4 of 0.5
    // round to the same number (float16 steps are 0.25 between 256 and 512), so the argmax takes
    // the lower value where float64 weights would pick the other. 3 -> 4001 voxels along x:
    // at x = 1333 the weights are 0.500125 (value 7) and 0.499875 (value 2), 1000 w rounds to
    // 500 in float16 for both (ties to even), and 2 wins; again at x = 2667.
    const labels = Volume.zeros('int32', { ...oblique, size: [3, 1, 1] });
    labels.data.set([7, 2, 7]);
    const shape: Vec3 = [4001, 1, 1];
    const want = official(labels, shape, null);
    const got = respaceLabels(labels, shape, { separateAxis: null });
    expect(Array.from(got.data)).toEqual(want);
    // The case is one where float16 decides: exact weights give a different map.
    expect([got.data[1333], got.data[2667]]).toEqual([2, 2]);
    const float64 = resampleLabels(labels, workingGeometry(labels.geometry, shape));
    expect([float64.data[1333], float64.data[2667]]).toEqual([7, 7]);
  });

  it('a thick axis keeps whole slices (nearest-exact) where a trilinear vote would mix them', () => {
    // Five z slices of different labels, 5 -> 11 along the thick axis: every output slice is
    // the input slice floor((k + 0.5) * 5 / 11).
    const stack = Volume.zeros('int32', { ...oblique, size: [4, 3, 5] });
    const order = [1, 4, 2, 0, 3];
    for (let z = 0; z < 5; z++)
      for (let y = 0; y < 3; y++) for (let x = 0; x < 4; x++) stack.set(x, y, z, order[z]);
    const stackShape: Vec3 = [6, 5, 11];
    const got = respaceLabels(stack, stackShape, { separateAxis: 2 });
    expect(Array.from(got.data)).toEqual(official(stack, stackShape, 2));
    for (let k = 0; k < 11; k++) {
      const source = Math.floor(((k + 0.5) * 5) / 11);
      for (let y = 0; y < 5; y++)
        for (let x = 0; x < 6; x++) expect(got.get(x, y, k), `slice ${k}`).toBe(order[source]);
    }
    // Slices z = 0, 1, 2 of [2, 2], [1, 3], [2, 2] (x), 3 -> 7 along z and 2 -> 3 along x. At
    // output (1, 0, 4) z falls at 1.43 (weights 0.57 on slice 1, 0.43 on slice 2), nearest-exact
    // takes slice 1 and the in-plane tie between 1 and 3 goes to 1; a trilinear vote gives 2
    // (0.43 against 0.29 each).
    const mixed = Volume.zeros('int32', { ...oblique, size: [2, 1, 3] });
    mixed.data.set([2, 2, 1, 3, 2, 2]);
    const shape: Vec3 = [3, 1, 7];
    const sep = respaceLabels(mixed, shape, { separateAxis: 2 });
    expect(Array.from(sep.data)).toEqual(official(mixed, shape, 2));
    expect(sep.get(1, 0, 4)).toBe(1);
    expect(resampleLabels(mixed, workingGeometry(mixed.geometry, shape)).get(1, 0, 4)).toBe(2);
  });

  it('keeps the label type and the geometry of the resampled image exactly; an unchanged shape is returned as is', async () => {
    const r = prng(3);
    const labels = new Volume<'int16'>(
      { ...oblique, size: [7, 6, 4] },
      Int16Array.from(randomLabels([7, 6, 4], r, [0, 9, 1200]).data),
    );
    const image = new Volume<'float32'>(labels.geometry, Float32Array.from(labels.data));
    for (const [shape, axis] of [
      [[11, 9, 13], 2],
      [[5, 6, 4], null],
      [[7, 6, 9], 2],
    ] as [Vec3, number | null][]) {
      const got = respaceLabels(labels, shape, { separateAxis: axis });
      expect(got.type).toBe('int16');
      const resampled = await resampleImageToShape(image, shape, { separateAxis: axis });
      expect(got.geometry).toEqual(resampled.geometry);
      expect(got.geometry).toEqual(workingGeometry(labels.geometry, shape));
      expect(Array.from(got.data)).toEqual(official(labels, shape, axis));
    }
    expect(respaceLabels(labels, [7, 6, 4], { separateAxis: 2 })).toBe(labels);
  });
});

describe("torch's index rules", () => {
  it('nearest-exact: floor((t + 0.5) in / out), except where that is an integer and the float32 scale is below it', () => {
    for (let nIn = 1; nIn <= 50; nIn++) {
      for (let nOut = 1; nOut <= 50; nOut++) {
        const taps = nearestExactTaps(nIn, nOut);
        for (let t = 0; t < nOut; t++) {
          const exact = Math.min(Math.floor(((2 * t + 1) * nIn) / (2 * nOut)), nIn - 1);
          const onInteger = ((2 * t + 1) * nIn) % (2 * nOut) === 0;
          const got = taps.index[2 * t];
          expect(taps.index[2 * t + 1]).toBe(got);
          expect([taps.weight[2 * t], taps.weight[2 * t + 1]]).toEqual([1, 0]);
          if (onInteger && nIn !== nOut)
            expect([exact - 1, exact], `${nIn} -> ${nOut} at ${t}`).toContain(got);
          else expect(got, `${nIn} -> ${nOut} at ${t}`).toBe(exact);
          expect(got).toBe(torchNearestExact(nIn, nOut, t));
        }
      }
    }
    // What F.interpolate(mode='nearest-exact') picked in torch 2.5.1 (CPU) at exact integers.
    const torch: [number, number, number, number][] = [
      [60, 111, 55, 29],
      [60, 111, 92, 49],
      [30, 55, 27, 15],
      [8, 13, 6, 4],
      [2, 61, 30, 0],
      [2, 41, 20, 1],
      [2, 47, 23, 1],
    ];
    for (const [nIn, nOut, t, index] of torch)
      expect(nearestExactTaps(nIn, nOut).index[2 * t], `${nIn} -> ${nOut} at ${t}`).toBe(index);
  });

  it('linear: the two taps and float32 weights of align_corners=False', () => {
    for (let nIn = 1; nIn <= 40; nIn++) {
      for (let nOut = 1; nOut <= 40; nOut++) {
        const taps = linearTaps(nIn, nOut);
        for (let t = 0; t < nOut; t++) {
          const [i0, i1, w0, w1] = torchLinear(nIn, nOut, t);
          expect([
            taps.index[2 * t],
            taps.index[2 * t + 1],
            taps.weight[2 * t],
            taps.weight[2 * t + 1],
          ]).toEqual([i0, i1, w0, w1]);
          // Within float32 rounding of the exact rational position (t + 0.5) in / out - 0.5.
          const exact = Math.min(Math.max(((t + 0.5) * nIn) / nOut - 0.5, 0), nIn - 1);
          expect(Math.abs(i0 * w0 + i1 * w1 - exact)).toBeLessThan(1e-5 * nIn);
        }
      }
    }
  });
});

describe('runStage2 gives the network the prompts respace_mask would', () => {
  it.each([
    ['thick z (1.3 x 1.3 x 5.2 mm)', [1.3, 1.3, 5.2] as Vec3, 'D'],
    ['isotropic (1.3 mm)', [1.3, 1.3, 1.3] as Vec3, null],
  ])('%s', async (_name, spacing, thick) => {
    // Stage-1 labels already on the image grid (resampled onto the same grid they stay as they
    // are) with blobs of 3 classes; a stage of patch 16^3 at 1 mm (runRefinedStage is mocked).
    // The class keys are not on the no-iteration lists.
    const grid: Geometry = { ...oblique, size: [30, 26, 9], spacing };
    const labels = Volume.zeros('int32', grid);
    const blob = (x0: number, x1: number, y0: number, y1: number, z0: number, z1: number, v: number) => {
      for (let z = z0; z < z1; z++)
        for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) labels.set(x, y, z, v);
    };
    blob(4, 14, 5, 15, 2, 7, 1);
    blob(10, 20, 9, 18, 3, 6, 2);
    blob(16, 24, 4, 11, 1, 5, 3);
    // Scattered voxels too (an instance task keeps them: no small-component removal), so that
    // labels meet across slices and in plane.
    const r = prng(spacing[2] * 10);
    for (let i = 0; i < labels.data.length; i++) if (r() < 0.15) labels.data[i] = 1 + Math.floor(r() * 3);
    const scaled = new Volume<'float32'>(
      grid,
      Float32Array.from(labels.data, (v) => 40 * v),
    );
    const values = [1, 2, 3];
    const classKeys = ['CT_Liver', 'CT_Spleen', 'CT_Aorta'];
    const { record } = await runStage2Captured(scaled, labels, values, classKeys);
    expect(record.mode).toBe('roi');
    expect(captured).toHaveLength(1);
    // The official inputs: the ROI crop of the labels, the stage-2 plan of the ROI, and the
    // thick axis as default_resampling.py decides it from the plan's spacings.
    const box = record.roi!.index;
    const region = crop(labels, box);
    const plan = planSpacing({
      imageSpacing: hwdFromXyz(region.spacing),
      shape: hwdFromXyz(region.size),
      stage: 2,
      classKeys,
      ...STAGE2,
    });
    const axisHwd = officialSeparateAxis(plan.spacing, plan.targetSpacing);
    expect(axisHwd === null ? null : (['H', 'W', 'D'] as const)[axisHwd]).toBe(thick);
    expect(record.plan.separateAxis).toBe(thick);
    const shape = xyzFromHwd(plan.workingShape);
    const expected = new Volume<'int32'>(
      captured[0].image.geometry,
      Int32Array.from(official(region, shape, axisHwd === null ? null : [1, 0, 2][axisHwd])),
    );
    expect(captured[0].image.size).toEqual(shape);
    const want = labelPrompts(expected, values);
    const got = captured[0].prompts!;
    expect(Array.from(got.sc)).toEqual(Array.from(want.sc));
    expect(Array.from(got.mc)).toEqual(Array.from(want.mc));
  });
});

describe("runStage2 brings stage 1's labels to the image grid as resample_torch_simple does", () => {
  it.each([
    // Random labels on a coarser working grid of the same extent, 5 mm slices: no separate-z.
    ['random labels, thick slices', [13, 11, 4] as Vec3, [30, 26, 9] as Vec3, null],
    // The float16 tie of the respaceLabels test: 3 -> 4001 voxels of [7, 2, 7] along x; float16
    // gives 2 at x = 1333 and 2667 where float64 weights (the old resampleLabels) give 7.
    ['float16 ties', [3, 1, 1] as Vec3, [4001, 1, 1] as Vec3, [7, 2, 7]],
  ])('%s', async (_name, workShape, imageShape, fixed) => {
    // The official run_inference resizes stage 1's labels to the input shape with
    // resample_torch_simple(is_seg=True) (inference.py L698-706), never separate-z.
    const image: Geometry = { ...oblique, size: imageShape, spacing: [1.3, 1.3, 5.2] };
    const labels = Volume.zeros('int32', workingGeometry(image, workShape));
    const r = prng(7);
    if (fixed) labels.data.set(fixed);
    else
      for (let i = 0; i < labels.data.length; i++)
        if (r() < 0.5) labels.data[i] = 2 + 5 * Math.floor(r() * 2);
    const scaled = new Volume<'float32'>(
      image,
      new Float32Array(imageShape[0] * imageShape[1] * imageShape[2]),
    );
    const { stage1OnImage } = await runStage2Captured(scaled, labels, [2, 7], ['CT_Liver', 'CT_Spleen']);
    expect(Array.from(stage1OnImage!.data)).toEqual(official(labels, imageShape, null));
    if (fixed) expect([stage1OnImage!.data[1333], stage1OnImage!.data[2667]]).toEqual([2, 2]);
    expect(stage1OnImage!.geometry).toEqual(scaled.geometry);
  });
});
