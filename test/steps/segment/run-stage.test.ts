/**
 * Stitching correctness (issue 6, "Done when" 1): runStage with the `conv` model on a non-cubic
 * volume larger than the patch on every axis equals the plain TypeScript evaluation of the same
 * network on the whole volume, at every voxel whose receptive field lies inside every window that
 * covers it. There each window's logits equal the whole-volume logits, so the Gaussian-weighted
 * mean of sigmoid(logits) is sigmoid(whole-volume logit) whatever the weights. The conv model's
 * kernels are asymmetric in every axis pair, so the same comparison against a reference computed
 * on a transposed image must fail: an axis swap anywhere in the layout would be caught.
 */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../functions/lib/core/random.js';
import { type Vec3, Volume } from '../../../functions/lib/geometry/volume.js';
import { hwdShape, toHwd } from '../../../functions/steps/segment/layout.js';
import { type StageResult, runStage } from '../../../functions/steps/segment/run-stage.js';
import { planWindows } from '../../../functions/lib/medal-s/windows.js';
import {
  CONV_RECEPTIVE_RADIUS,
  convModelWeights,
  evaluateConvModel,
} from '../../../models/generate/index.js';
import { geometry } from '../../helpers/geometry.js';
import { useGeneratedModel } from '../../helpers/models.js';

/** Volume size (X, Y, Z), x fastest: (H, W, D) = (38, 45, 27) against a 32 x 32 x 16 patch. */
const SIZE: Vec3 = [45, 38, 27];
const N = 3;
const VALUES = [1, 2, 3];

const model = useGeneratedModel('conv', { device: 'cpu', stages: [1], textEncoder: false });
const weights = convModelWeights();

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Voxels (H, W, D order, d fastest) farther than the receptive-field radius from every face of
 * every window covering them. With `volumeFacesCount = false`, a window face lying on the volume's
 * own boundary does not count: both evaluations zero-pad there, so the logits still agree.
 */
function interiorVoxels(shape: Vec3, patch: Vec3, radius: Vec3, volumeFacesCount = true): Uint8Array {
  const [H, W, D] = shape;
  const ok = new Uint8Array(H * W * D).fill(1);
  const near = (p: number, start: number, a: number) => {
    const lowFace = volumeFacesCount || start > 0;
    const highFace = volumeFacesCount || start + patch[a] < shape[a];
    return (lowFace && p - start < radius[a]) || (highFace && start + patch[a] - 1 - p < radius[a]);
  };
  for (const start of planWindows(shape, patch)) {
    for (let h = start[0]; h < start[0] + patch[0]; h++) {
      const nh = near(h, start[0], 0);
      for (let w = start[1]; w < start[1] + patch[1]; w++) {
        const nw = nh || near(w, start[1], 1);
        for (let d = start[2]; d < start[2] + patch[2]; d++) {
          if (nw || near(d, start[2], 2)) ok[(h * W + w) * D + d] = 0;
        }
      }
    }
  }
  return ok;
}

/**
 * Transpose an (H, W, D) buffer (d fastest) of `shape`: output axis i is input axis perm[i]. Every
 * perm used here swaps two axes, so applying it twice gives the input back.
 */
function permuteAxes(src: Float32Array, shape: Vec3, perm: Vec3): Float32Array {
  const out = new Float32Array(src.length);
  const outShape = perm.map((a) => shape[a]);
  const index: Vec3 = [0, 0, 0];
  let s = 0;
  for (index[0] = 0; index[0] < shape[0]; index[0]++)
    for (index[1] = 0; index[1] < shape[1]; index[1]++)
      for (index[2] = 0; index[2] < shape[2]; index[2]++, s++)
        out[(index[perm[0]] * outShape[1] + index[perm[1]]) * outShape[2] + index[perm[2]]] = src[s];
  return out;
}

interface Comparison {
  voxels: number;
  worstProbability: number;
  labelsChecked: number;
  labelMismatches: number;
  /** Expected label value -> checked voxels. */
  labelCounts: Map<number, number>;
}

/**
 * Compare runStage's maps (volume order) with sigmoid of reference logits (N, H, W, D) at the
 * chosen voxels. Labels are checked where the decision is clear (best probability at least 1e-3
 * from 0.5 and from the runner-up), so float rounding cannot flip a tie.
 */
function compare(result: StageResult, logits: Float32Array, shape: Vec3, chosen: Uint8Array): Comparison {
  const V = shape[0] * shape[1] * shape[2];
  const maxHwd = toHwd(result.maxProbability.data, SIZE, new Float32Array(V));
  const labelHwd = toHwd(result.labels.data, SIZE, new Int32Array(V));
  const out: Comparison = {
    voxels: 0,
    worstProbability: 0,
    labelsChecked: 0,
    labelMismatches: 0,
    labelCounts: new Map(),
  };
  for (let i = 0; i < V; i++) {
    if (!chosen[i]) continue;
    out.voxels++;
    let best = -1;
    let bestP = -Infinity;
    let second = -Infinity;
    for (let c = 0; c < N; c++) {
      const p = sigmoid(logits[c * V + i]);
      if (p > bestP) {
        second = bestP;
        bestP = p;
        best = c;
      } else if (p > second) second = p;
    }
    out.worstProbability = Math.max(out.worstProbability, Math.abs(maxHwd[i] - bestP));
    if (Math.abs(bestP - 0.5) >= 1e-3 && bestP - second >= 1e-3) {
      out.labelsChecked++;
      const expected = bestP >= 0.5 ? VALUES[best] : 0;
      out.labelCounts.set(expected, (out.labelCounts.get(expected) ?? 0) + 1);
      if (labelHwd[i] !== expected) out.labelMismatches++;
    }
  }
  return out;
}

describe('runStage with the conv model (sliding windows + stitching)', () => {
  it('equals the whole-volume evaluation away from window edges, and catches an axis swap', async () => {
    const stage = model().stage(1);
    const patch = [...stage.patch] as Vec3;
    const shape = hwdShape(SIZE);
    expect(shape.every((n, a) => n > patch[a])).toBe(true);
    expect(new Set(shape).size).toBe(3);

    const rng = new SeededRandom(11);
    const voxels = SIZE[0] * SIZE[1] * SIZE[2];
    const imageData = Float32Array.from({ length: voxels }, () => Math.floor(256 * rng.next()));
    // Query seed chosen so that each of the three classes wins in a good share of the voxels.
    const queryRng = new SeededRandom(8);
    const image = new Volume<'float32'>(geometry(SIZE, [1.5, 1.5, 3]), imageData);
    const queries = Float32Array.from({ length: N * model().embeddingWidth }, () => queryRng.normal());

    const result = await runStage({ stage, image, queries, values: VALUES });
    const windows = planWindows(shape, patch);
    expect(result.windows).toBe(windows.length);
    expect(windows.length).toBeGreaterThanOrEqual(8);

    // Whole-volume reference in the model's (H, W, D) order.
    const hwdImage = toHwd(imageData, SIZE, new Float32Array(voxels));
    const reference = evaluateConvModel(weights, { shape, n: N, queries, image: hwdImage });

    const radius = [...CONV_RECEPTIVE_RADIUS] as Vec3;
    const strict = interiorVoxels(shape, patch, radius);
    const good = compare(result, reference, shape, strict);
    expect(good.voxels).toBeGreaterThan(10_000);
    expect(good.worstProbability).toBeLessThan(1e-4);
    expect(good.labelsChecked).toBeGreaterThan(0.9 * good.voxels);
    expect(good.labelMismatches).toBe(0);
    // The labels are not trivial: every class value wins somewhere among the checked voxels.
    for (const v of VALUES) expect(good.labelCounts.get(v) ?? 0, `label ${v}`).toBeGreaterThan(100);

    // Window faces on the volume's boundary pad with zeros like the whole volume does.
    const relaxed = interiorVoxels(shape, patch, radius, false);
    const faces = compare(result, reference, shape, relaxed);
    expect(faces.voxels).toBeGreaterThan(good.voxels);
    expect(faces.worstProbability).toBeLessThan(1e-4);
    expect(faces.labelMismatches).toBe(0);

    // The same check against a reference computed on a transposed image (H<->W, H<->D, W<->D),
    // transposed back, must fail: the network is not symmetric under any axis swap.
    const swaps: [string, Vec3][] = [
      ['H<->W', [1, 0, 2]],
      ['H<->D', [2, 1, 0]],
      ['W<->D', [0, 2, 1]],
    ];
    for (const [label, perm] of swaps) {
      const swappedShape = perm.map((a) => shape[a]) as Vec3;
      const swappedImage = permuteAxes(hwdImage, shape, perm);
      const swappedOut = evaluateConvModel(weights, {
        shape: swappedShape,
        n: N,
        queries,
        image: swappedImage,
      });
      const back = new Float32Array(N * voxels);
      for (let c = 0; c < N; c++) {
        const one = swappedOut.subarray(c * voxels, (c + 1) * voxels);
        back.set(permuteAxes(one, swappedShape, perm), c * voxels);
      }
      const bad = compare(result, back, shape, strict);
      expect(bad.voxels, label).toBe(good.voxels);
      expect(bad.worstProbability, label).toBeGreaterThan(1e-2);
      expect(bad.labelMismatches, label).toBeGreaterThan(0.2 * bad.labelsChecked);
    }
  }, 30_000);
});
