/**
 * Sliding-window placement and the Gaussian importance map, exactly as Medal S does them
 * (medal-s-pipeline.md section 5), in the model's (H, W, D) order.
 */
import { toFloat16Bits, fromFloat16Bits } from './model/float16.js';
import type { Vec3 } from '../core/volume.js';

/**
 * Window starts along one axis of length `length` (already padded to at least `patch`):
 * i * (patch // 2) for i in 0 .. max(ceil(L / (patch // 2)) - 1, 1) - 1, and a window that would
 * end past L starts at L - patch instead.
 */
export function windowStarts(length: number, patch: number): number[] {
  if (!Number.isInteger(length) || !Number.isInteger(patch) || patch < 1 || length < patch) {
    throw new RangeError(`windowStarts: length ${length} must be an integer of at least the patch ${patch}`);
  }
  const step = Math.max(1, Math.floor(patch / 2));
  const count = Math.max(Math.ceil(length / step) - 1, 1);
  const starts: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = i * step + patch > length ? length - patch : i * step;
    if (starts[starts.length - 1] !== start) starts.push(start);
  }
  return starts;
}

/** Every window start (H, W, D), H outermost, as the official loops nest. */
export function planWindows(shape: Vec3, patch: Vec3): Vec3[] {
  const [hs, ws, ds] = [0, 1, 2].map((a) => windowStarts(shape[a], patch[a]));
  const out: Vec3[] = [];
  for (const h of hs) for (const w of ws) for (const d of ds) out.push([h, w, d]);
  return out;
}

/** scipy.ndimage's 1D Gaussian kernel: sigma, truncated at 4 sigma, normalised to sum 1. */
function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.floor(4 * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += k[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** One axis of the filtered unit impulse: the kernel centred at patch // 2, zero outside. */
function axisProfile(patch: number): Float64Array {
  const out = new Float64Array(patch);
  const centre = Math.floor(patch / 2);
  const k = gaussianKernel(patch / 8);
  const radius = (k.length - 1) / 2;
  for (let i = 0; i < patch; i++) {
    const offset = i - centre;
    if (Math.abs(offset) <= radius) out[i] = k[offset + radius];
  }
  return out;
}

/**
 * The importance map over a patch (H, W, D), d fastest: the separable Gaussian filter of a unit
 * impulse at the centre, divided by its maximum, times 10, rounded to float16, and every zero
 * (float16 underflow far from the centre) replaced by the smallest non-zero value.
 */
export function gaussianImportance(patch: Vec3): Float32Array {
  const [ph, pw, pd] = patch;
  const [gh, gw, gd] = [axisProfile(ph), axisProfile(pw), axisProfile(pd)];
  const peak = gh[Math.floor(ph / 2)] * gw[Math.floor(pw / 2)] * gd[Math.floor(pd / 2)];
  const out = new Float32Array(ph * pw * pd);
  let smallest = Infinity;
  let n = 0;
  for (let h = 0; h < ph; h++) {
    for (let w = 0; w < pw; w++) {
      for (let d = 0; d < pd; d++, n++) {
        const v = fromFloat16Bits(toFloat16Bits(((gh[h] * gw[w] * gd[d]) / peak) * 10));
        out[n] = v;
        if (v > 0 && v < smallest) smallest = v;
      }
    }
  }
  for (let i = 0; i < out.length; i++) if (out[i] === 0) out[i] = smallest;
  return out;
}
