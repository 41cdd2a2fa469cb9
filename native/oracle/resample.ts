/**
 * Plain TypeScript label-map resampling: the test oracle for native/index.ts
 * (src/resample_labels.*). This is the loop functions/core/resample.ts ran before the addon took
 * over, unchanged: the native kernel evaluates every coordinate and weight in the same float64
 * order (compiled without FMA contraction), so both give the same labels bit for bit. No checks.
 */
import type { LabelAffine, LabelArray, Size3 } from '../index.js';

/**
 * Label map `data` (size [X, Y, Z], x fastest) resampled onto a grid of `targetSize`: target
 * index t maps to the continuous input index c = A t + b; outside [-0.5, size - 0.5] on any axis
 * is background 0; otherwise each label gets the summed trilinear weight of its corners among the
 * 8 neighbours (corners of weight 0 skipped) and the largest wins, ties within 1e-12 to the lower
 * value. Writes every voxel of `out` (default a new array of data's type) and returns it.
 */
export function resampleLabels<T extends LabelArray>(
  data: T,
  size: Size3,
  affine: LabelAffine,
  targetSize: Size3,
  out?: T,
): T {
  const { A, b } = affine;
  const [X, Y] = size;
  const src = data;
  const count = targetSize[0] * targetSize[1] * targetSize[2];
  const dst = out ?? (new (data.constructor as new (length: number) => T)(count) as T);
  const values = new Float64Array(8);
  const weights = new Float64Array(8);
  const base = new Int32Array(3);
  const frac = new Float64Array(3);
  const c = new Float64Array(3);
  let n = 0;
  for (let k = 0; k < targetSize[2]; k++) {
    for (let j = 0; j < targetSize[1]; j++) {
      for (let i = 0; i < targetSize[0]; i++, n++) {
        let inside = true;
        for (let r = 0; r < 3; r++) {
          const v = A[r * 3] * i + A[r * 3 + 1] * j + A[r * 3 + 2] * k + b[r];
          if (v < -0.5 || v > size[r] - 0.5) inside = false;
          c[r] = Math.min(Math.max(v, 0), size[r] - 1);
          base[r] = Math.min(Math.floor(c[r]), Math.max(size[r] - 2, 0));
          frac[r] = size[r] === 1 ? 0 : c[r] - base[r];
        }
        if (!inside) {
          dst[n] = 0;
          continue;
        }
        let used = 0;
        for (let corner = 0; corner < 8; corner++) {
          const dx = corner & 1;
          const dy = (corner >> 1) & 1;
          const dz = corner >> 2;
          const w =
            (dx ? frac[0] : 1 - frac[0]) * (dy ? frac[1] : 1 - frac[1]) * (dz ? frac[2] : 1 - frac[2]);
          if (w === 0) continue;
          const value = src[base[0] + dx + X * (base[1] + dy + Y * (base[2] + dz))];
          let slot = 0;
          while (slot < used && values[slot] !== value) slot++;
          if (slot === used) {
            values[used] = value;
            weights[used++] = 0;
          }
          weights[slot] += w;
        }
        let best = 0;
        for (let s = 1; s < used; s++) {
          if (
            weights[s] > weights[best] + 1e-12 ||
            (Math.abs(weights[s] - weights[best]) <= 1e-12 && values[s] < values[best])
          )
            best = s;
        }
        dst[n] = used ? values[best] : 0;
      }
    }
  }
  return dst;
}
