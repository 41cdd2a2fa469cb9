/**
 * Stitching windows back into one volume: each window adds sigmoid(logits) x g per class and g
 * to one weight volume shared by all classes (g: the Gaussian importance map), all float32;
 * finalising divides. Layout: class-major over the (H, W, D) grid, d fastest, the same order as
 * the model's (1, N, H, W, D) logits, so a window is a set of contiguous runs.
 */
import type { Vec3 } from '../core/volume.js';

export interface StitchResult {
  /** Per-class probabilities, (N, H, W, D). */
  probabilities: Float32Array;
  /** Per voxel: values[c] of the most probable class if its probability >= threshold, else 0. */
  labels: Int32Array;
  /** Per voxel: the highest class probability. */
  maxProbability: Float32Array;
}

export class StitchAccumulator {
  readonly shape: Vec3;
  readonly classes: number;
  private readonly sums: Float32Array;
  private readonly weights: Float32Array;

  constructor(shape: Vec3, classes: number) {
    this.shape = [...shape];
    this.classes = classes;
    const voxels = shape[0] * shape[1] * shape[2];
    this.sums = new Float32Array(voxels * classes);
    this.weights = new Float32Array(voxels);
  }

  /** Add one window's logits (1, N, ph, pw, pd) at `start` (H, W, D), weighted by `importance`. */
  add(logits: Float32Array, start: Vec3, patch: Vec3, importance: Float32Array): void {
    const [H, W, D] = this.shape;
    const [ph, pw, pd] = patch;
    const patchVoxels = ph * pw * pd;
    if (logits.length !== patchVoxels * this.classes || importance.length !== patchVoxels) {
      throw new RangeError('stitch: logits or importance map do not match the patch and class count');
    }
    if (start.some((s, a) => s < 0 || s + patch[a] > this.shape[a]))
      throw new RangeError('stitch: window outside the grid');
    const voxels = H * W * D;
    for (let h = 0; h < ph; h++) {
      for (let w = 0; w < pw; w++) {
        const row = ((start[0] + h) * W + start[1] + w) * D + start[2];
        const p = (h * pw + w) * pd;
        for (let d = 0; d < pd; d++) this.weights[row + d] += importance[p + d];
        for (let c = 0; c < this.classes; c++) {
          const dst = c * voxels + row;
          const src = c * patchVoxels + p;
          for (let d = 0; d < pd; d++) {
            this.sums[dst + d] += importance[p + d] / (1 + Math.exp(-logits[src + d]));
          }
        }
      }
    }
  }

  finalize(values: readonly number[], threshold = 0.5): StitchResult {
    const voxels = this.weights.length;
    const probabilities = this.sums;
    const labels = new Int32Array(voxels);
    const maxProbability = new Float32Array(voxels);
    for (let n = 0; n < voxels; n++) {
      const w = this.weights[n];
      let best = -1;
      let bestP = -Infinity;
      for (let c = 0; c < this.classes; c++) {
        const p = w > 0 ? probabilities[c * voxels + n] / w : 0;
        probabilities[c * voxels + n] = p;
        if (p > bestP) {
          bestP = p;
          best = c;
        }
      }
      maxProbability[n] = bestP;
      labels[n] = bestP >= threshold ? values[best] : 0;
    }
    return { probabilities, labels, maxProbability };
  }
}
