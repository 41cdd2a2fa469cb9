/**
 * Sliding-window placement exactly as Medal S's split_3d (official inference.py; see
 * medal-s-pipeline.md section 5), in the model's (H, W, D) order. Pure arithmetic, no voxels.
 *
 * Per axis of length L (after padding to the patch: L = max(L, patch)) with step s = patch // 2:
 * start_i = i * s for i in 0 .. max(ceil(L / s) - 1, 1) - 1, and a window that would end past L
 * starts at L - patch instead. Like the official code there is no de-duplication: an odd patch
 * can place the same start twice (patch 5 on L = 5 gives [0, 0]); Medal S's patches are even.
 */
import type { Vec3 } from '../geometry/volume.js';

function requireInteger(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/**
 * Window starts along one axis of `length` voxels for windows of `patch` voxels (patch >= 2, so
 * that the step patch // 2 is at least 1). A length below the patch counts as the patch: the
 * volume is padded at the high end first, as pad_if_necessary does.
 */
export function windowStarts(length: number, patch: number): number[] {
  requireInteger(length, 'windowStarts: length', 1);
  requireInteger(patch, 'windowStarts: patch', 2);
  const padded = Math.max(length, patch);
  const step = Math.floor(patch / 2);
  const count = Math.max(Math.ceil(padded / step) - 1, 1);
  const starts: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = i * step;
    starts.push(start + patch > padded ? padded - patch : start);
  }
  return starts;
}

/** The padded extent the windows cover: max(shape, patch) per axis. */
export function paddedShape(shape: Readonly<Vec3>, patch: Readonly<Vec3>): Vec3 {
  return [Math.max(shape[0], patch[0]), Math.max(shape[1], patch[1]), Math.max(shape[2], patch[2])];
}

/**
 * Every window start [h, w, d] over a grid of `shape` (H, W, D) for a patch (ph, pw, pd), in
 * the order split_3d appends them: h outermost, then w, then d innermost.
 */
export function planWindows(shape: Readonly<Vec3>, patch: Readonly<Vec3>): Vec3[] {
  if (shape.length !== 3 || patch.length !== 3) {
    throw new RangeError('planWindows: shape and patch must have 3 elements (H, W, D)');
  }
  const hs = windowStarts(shape[0], patch[0]);
  const ws = windowStarts(shape[1], patch[1]);
  const ds = windowStarts(shape[2], patch[2]);
  const windows: Vec3[] = [];
  for (const h of hs) for (const w of ws) for (const d of ds) windows.push([h, w, d]);
  return windows;
}
