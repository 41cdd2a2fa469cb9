/**
 * Moving voxels between a Volume (x fastest: index x + X * (y + Y * z)) and the model's layout.
 * Medal S indexes its input (H, W, D) = (y, x, z) of an ITK buffer, and ONNX tensors are C-order,
 * so a tensor (H, W, D) has d fastest: index (y * X + x) * Z + z. One transpose per volume
 * makes every window a set of contiguous runs along D.
 */
import type { Vec3 } from '../../lib/geometry/volume.js';

/** (H, W, D) of a Volume of size (X, Y, Z). */
export function hwdShape(size: Vec3): Vec3 {
  return [size[1], size[0], size[2]];
}

type Numeric = { length: number; [index: number]: number };

/** Volume order (x fastest) -> model order (H, W, D), d fastest, into `out`. */
export function toHwd<T extends Numeric>(src: Numeric, size: Vec3, out: T): T {
  const [X, Y, Z] = size;
  if (src.length !== X * Y * Z || out.length !== X * Y * Z)
    throw new RangeError('toHwd: buffer length does not match');
  const plane = X * Y;
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      let s = x + X * y;
      let d = (y * X + x) * Z;
      for (let z = 0; z < Z; z++, s += plane) out[d++] = src[s];
    }
  }
  return out;
}

/** Model order (H, W, D) -> volume order (x fastest), into `out`; `size` is the Volume's (X, Y, Z). */
export function fromHwd<T extends Numeric>(src: Numeric, size: Vec3, out: T): T {
  const [X, Y, Z] = size;
  if (src.length !== X * Y * Z || out.length !== X * Y * Z)
    throw new RangeError('fromHwd: buffer length does not match');
  const plane = X * Y;
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      let o = x + X * y;
      let s = (y * X + x) * Z;
      for (let z = 0; z < Z; z++, o += plane) out[o] = src[s++];
    }
  }
  return out;
}

/**
 * Copy the window at `start` (H, W, D) of size `patch` out of an (H, W, D) buffer of shape
 * `shape` into `out` (patch-sized, C-order). The window must lie inside the buffer.
 */
export function copyWindow(
  src: Float32Array,
  shape: Vec3,
  start: Vec3,
  patch: Vec3,
  out: Float32Array,
): void {
  const [, W, D] = shape;
  const [ph, pw, pd] = patch;
  for (let a = 0; a < 3; a++) {
    if (start[a] < 0 || start[a] + patch[a] > shape[a])
      throw new RangeError('copyWindow: window outside the volume');
  }
  // Row by row: TypedArray.set converts exactly as assignment does, and copies a row at once.
  let o = 0;
  for (let h = 0; h < ph; h++) {
    for (let w = 0; w < pw; w++, o += pd) {
      const s = ((start[0] + h) * W + start[1] + w) * D + start[2];
      out.set(src.subarray(s, s + pd), o);
    }
  }
}

/** An (H, W, D) buffer padded with zeros at the high end up to at least `patch` on each axis. */
export function padToPatch(src: Float32Array, shape: Vec3, patch: Vec3): { data: Float32Array; shape: Vec3 } {
  const padded: Vec3 = [
    Math.max(shape[0], patch[0]),
    Math.max(shape[1], patch[1]),
    Math.max(shape[2], patch[2]),
  ];
  if (padded.every((n, a) => n === shape[a])) return { data: src, shape };
  const out = new Float32Array(padded[0] * padded[1] * padded[2]);
  for (let h = 0; h < shape[0]; h++) {
    for (let w = 0; w < shape[1]; w++) {
      const s = (h * shape[1] + w) * shape[2];
      out.set(src.subarray(s, s + shape[2]), (h * padded[1] + w) * padded[2]);
    }
  }
  return { data: out, shape: padded };
}

/** The (H, W, D) region [0, shape) of a buffer of shape `padded`, copied out. */
export function cropFromPadded<T extends Numeric>(src: Numeric, padded: Vec3, shape: Vec3, out: T): T {
  for (let h = 0; h < shape[0]; h++) {
    for (let w = 0; w < shape[1]; w++) {
      const s = (h * padded[1] + w) * padded[2];
      const o = (h * shape[1] + w) * shape[2];
      for (let d = 0; d < shape[2]; d++) out[o + d] = src[s + d];
    }
  }
  return out;
}
