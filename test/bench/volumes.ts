/**
 * Deterministic synthetic volumes for the component and surface benchmarks (issue 3), x fastest
 * (index x + X * (y + Y * z)), generated in TypeScript from a seeded PRNG so that every run and
 * every machine labels the same voxels (test/helpers/prng.ts):
 * - organMap: an organ-like multi-label map, 24 smooth blobs (labels 1..24) of different sizes,
 *   later ones painted over earlier ones;
 * - blobMap: a binary map of ~40 smooth blobs (some may touch and merge);
 * - lesionMap: 300 small lesions (radius 1.5 to 5 voxels in x/y, flatter in z);
 * - noiseMap: random noise, each voxel on with probability `density` (default 1/2).
 * A blob is an ellipsoid whose surface is bent by a low-frequency product of sines:
 * (dx/rx)^2 + (dy/ry)^2 + (dz/rz)^2 + amp * sin(.) sin(.) sin(.) < 1.
 */
import type { Size3 } from '../../native/index.js';
import { prng } from '../helpers/prng.js';

/** The benchmark extent. */
export const BENCH_SIZE: Size3 = [512, 512, 300];

export interface Blob {
  center: [number, number, number];
  radii: [number, number, number];
  /** Surface bending: amplitude, and per axis a frequency (radians per voxel) and a phase. */
  amp: number;
  freq: [number, number, number];
  phase: [number, number, number];
  value: number;
}

/** Paints `blob` into `out` (voxels inside get blob.value). */
export function paintBlob(out: Uint8Array, size: Size3, blob: Blob): void {
  const [nx, ny] = size;
  const { center, radii, amp, freq, phase, value } = blob;
  const reach = Math.sqrt(1 + amp);
  const lo = center.map((c, a) => Math.max(0, Math.floor(c - radii[a] * reach)));
  const hi = center.map((c, a) => Math.min(size[a] - 1, Math.ceil(c + radii[a] * reach)));
  const table = (axis: number) => {
    const n = hi[axis] - lo[axis] + 1;
    const q = new Float64Array(n);
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = lo[axis] + i;
      const d = (v - center[axis]) / radii[axis];
      q[i] = d * d;
      s[i] = Math.sin(v * freq[axis] + phase[axis]);
    }
    return { q, s };
  };
  const tx = table(0);
  const ty = table(1);
  const tz = table(2);
  for (let z = lo[2]; z <= hi[2]; z++) {
    const qz = tz.q[z - lo[2]];
    const sz = amp * tz.s[z - lo[2]];
    for (let y = lo[1]; y <= hi[1]; y++) {
      const qyz = qz + ty.q[y - lo[1]];
      if (qyz - Math.abs(sz) >= 1) continue;
      const syz = sz * ty.s[y - lo[1]];
      const row = nx * (y + ny * z);
      for (let x = lo[0]; x <= hi[0]; x++) {
        const i = x - lo[0];
        if (qyz + tx.q[i] + syz * tx.s[i] < 1) out[row + x] = value;
      }
    }
  }
}

/** Random blob parameters: radii in [rMin, rMax] voxels (z radius scaled by zScale). */
function randomBlob(
  rand: () => number,
  size: Size3,
  rMin: number,
  rMax: number,
  zScale: number,
  amp: number,
  value: number,
): Blob {
  const radii: [number, number, number] = [0, 1, 2].map(
    (a) => (rMin + (rMax - rMin) * rand()) * (a === 2 ? zScale : 1),
  ) as [number, number, number];
  const center = radii.map((r, a) => r + (size[a] - 2 * r) * rand()) as [number, number, number];
  const freq = radii.map((r) => (1.5 + 1.5 * rand()) / r) as [number, number, number];
  const phase = [0, 0, 0].map(() => 2 * Math.PI * rand()) as [number, number, number];
  return { center, radii, amp, freq, phase, value };
}

/** 24 organ-like labels: a few large, most medium, some small, painted largest first. */
export function organMap(size: Size3 = BENCH_SIZE, seed = 24): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(size[0] * size[1] * size[2]);
  for (let label = 1; label <= 24; label++) {
    const big = label <= 4 ? 70 : label <= 16 ? 40 : 18;
    paintBlob(out, size, randomBlob(rand, size, big * 0.6, big, 0.45, 0.25, label));
  }
  return out;
}

/** The parameters of the ~40 blobs of blobMap (also used, moved, as a prediction). */
export function blobList(size: Size3 = BENCH_SIZE, seed = 40): Blob[] {
  const rand = prng(seed);
  return Array.from({ length: 40 }, () => randomBlob(rand, size, 12, 45, 0.4, 0.25, 1));
}

/** A binary map of the given blobs (default: the 40 of blobList). */
export function blobMap(size: Size3 = BENCH_SIZE, blobs: Blob[] = blobList(size)): Uint8Array {
  const out = new Uint8Array(size[0] * size[1] * size[2]);
  for (const blob of blobs) paintBlob(out, size, blob);
  return out;
}

/** 300 small lesions, binary. */
export function lesionMap(size: Size3 = BENCH_SIZE, seed = 300): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(size[0] * size[1] * size[2]);
  for (let k = 0; k < 300; k++) paintBlob(out, size, randomBlob(rand, size, 1.5, 5, 0.5, 0.15, 1));
  return out;
}

/** Each voxel on (1) with probability `density` (default 1/2). */
export function noiseMap(size: Size3, seed = 50, density = 0.5): Uint8Array {
  const rand = prng(seed);
  const out = new Uint8Array(size[0] * size[1] * size[2]);
  for (let i = 0; i < out.length; i++) out[i] = rand() < density ? 1 : 0;
  return out;
}
