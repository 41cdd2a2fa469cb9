/**
 * A 3D volume: a typed voxel buffer plus its physical geometry.
 *
 * Voxel order: x fastest, then y, then z, i.e. the linear index of (i, j, k) is
 * i + X * (j + Y * k), as ITK, itk-wasm and NIfTI store voxels. (numpy arrays read with
 * GetArrayFromImage are the same bytes viewed as [z][y][x].)
 *
 * Geometry follows ITK: the physical point (LPS, mm) of continuous index v is
 *   p = origin + D * diag(spacing) * v
 * where D is the 3x3 direction matrix, stored row-major (D[r * 3 + c]); column c is the
 * physical direction of index axis c.
 */
import { InvalidInputError } from '../core/errors.js';

export type Vec3 = [number, number, number];
/** Row-major 3x3 matrix. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];

export interface VoxelArrays {
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  float32: Float32Array;
}
export type VoxelType = keyof VoxelArrays;
export type VoxelArray = VoxelArrays[VoxelType];

export interface Geometry {
  size: Vec3;
  spacing: Vec3;
  origin: Vec3;
  direction: Mat3;
}

export const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

const CONSTRUCTORS = {
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  float32: Float32Array,
} as const;

function voxelTypeOf(data: VoxelArray): VoxelType {
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  throw new InvalidInputError('voxel buffer must be a Uint8, Int16, Uint16, Int32 or Float32 array');
}

export function allocate<T extends VoxelType>(type: T, count: number): VoxelArrays[T] {
  return new CONSTRUCTORS[type](count) as VoxelArrays[T];
}

export function voxelCount(size: Vec3): number {
  return size[0] * size[1] * size[2];
}

function det3(m: Mat3): number {
  return (
    m[0] * (m[4] * m[8] - m[5] * m[7]) -
    m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6])
  );
}

export function invert3(m: Mat3): Mat3 {
  const d = det3(m);
  if (!Number.isFinite(d) || Math.abs(d) < 1e-12) throw new InvalidInputError('direction matrix is singular');
  return [
    (m[4] * m[8] - m[5] * m[7]) / d,
    (m[2] * m[7] - m[1] * m[8]) / d,
    (m[1] * m[5] - m[2] * m[4]) / d,
    (m[5] * m[6] - m[3] * m[8]) / d,
    (m[0] * m[8] - m[2] * m[6]) / d,
    (m[2] * m[3] - m[0] * m[5]) / d,
    (m[3] * m[7] - m[4] * m[6]) / d,
    (m[1] * m[6] - m[0] * m[7]) / d,
    (m[0] * m[4] - m[1] * m[3]) / d,
  ];
}

/** Check a geometry is usable; throws INVALID_INPUT saying what is wrong. */
export function checkGeometry(g: Geometry): void {
  for (let a = 0; a < 3; a++) {
    if (!Number.isInteger(g.size[a]) || g.size[a] < 1) {
      throw new InvalidInputError(`size must be three positive integers, got ${g.size.join('x')}`);
    }
    if (!Number.isFinite(g.spacing[a]) || g.spacing[a] <= 0) {
      throw new InvalidInputError(`spacing must be three positive numbers, got ${g.spacing.join(', ')}`);
    }
    if (!Number.isFinite(g.origin[a]))
      throw new InvalidInputError(`origin must be finite, got ${g.origin.map(String).join(', ')}`);
  }
  if (g.direction.length !== 9 || g.direction.some((v) => !Number.isFinite(v))) {
    throw new InvalidInputError('direction must be a finite 3x3 matrix');
  }
  invert3(g.direction);
}

export class Volume<T extends VoxelType = VoxelType> {
  readonly type: T;
  readonly data: VoxelArrays[T];
  readonly size: Vec3;
  readonly spacing: Vec3;
  readonly origin: Vec3;
  readonly direction: Mat3;

  constructor(geometry: Geometry, data: VoxelArrays[T]) {
    checkGeometry(geometry);
    const expected = voxelCount(geometry.size);
    if (data.length !== expected) {
      throw new InvalidInputError(
        `voxel buffer holds ${data.length} values but size ${geometry.size.join('x')} needs ${expected}`,
      );
    }
    this.type = voxelTypeOf(data) as T;
    this.data = data;
    this.size = [...geometry.size];
    this.spacing = [...geometry.spacing];
    this.origin = [...geometry.origin];
    this.direction = [...geometry.direction];
  }

  static zeros<T extends VoxelType>(type: T, geometry: Geometry): Volume<T> {
    return new Volume(geometry, allocate(type, voxelCount(geometry.size)));
  }

  get geometry(): Geometry {
    return {
      size: [...this.size],
      spacing: [...this.spacing],
      origin: [...this.origin],
      direction: [...this.direction],
    };
  }

  index(i: number, j: number, k: number): number {
    return i + this.size[0] * (j + this.size[1] * k);
  }

  get(i: number, j: number, k: number): number {
    return this.data[this.index(i, j, k)];
  }

  set(i: number, j: number, k: number, value: number): void {
    this.data[this.index(i, j, k)] = value;
  }
}

/** Physical point (mm) of a continuous index. */
export function indexToPoint(g: Geometry, index: Vec3): Vec3 {
  const s: Vec3 = [index[0] * g.spacing[0], index[1] * g.spacing[1], index[2] * g.spacing[2]];
  const d = g.direction;
  return [
    g.origin[0] + d[0] * s[0] + d[1] * s[1] + d[2] * s[2],
    g.origin[1] + d[3] * s[0] + d[4] * s[1] + d[5] * s[2],
    g.origin[2] + d[6] * s[0] + d[7] * s[1] + d[8] * s[2],
  ];
}

/** Continuous index of a physical point; round it to get the nearest voxel. */
export function pointToIndex(g: Geometry, point: Vec3): Vec3 {
  const inv = invert3(g.direction);
  const r: Vec3 = [point[0] - g.origin[0], point[1] - g.origin[1], point[2] - g.origin[2]];
  return [
    (inv[0] * r[0] + inv[1] * r[1] + inv[2] * r[2]) / g.spacing[0],
    (inv[3] * r[0] + inv[4] * r[1] + inv[5] * r[2]) / g.spacing[1],
    (inv[6] * r[0] + inv[7] * r[1] + inv[8] * r[2]) / g.spacing[2],
  ];
}

/** Geometries equal within a tolerance (relative for spacing, absolute mm for origin). */
export function sameGeometry(a: Geometry, b: Geometry, tolerance = 1e-4): boolean {
  for (let i = 0; i < 3; i++) {
    if (a.size[i] !== b.size[i]) return false;
    if (Math.abs(a.spacing[i] - b.spacing[i]) > tolerance * Math.max(1, Math.abs(a.spacing[i]))) return false;
    if (Math.abs(a.origin[i] - b.origin[i]) > tolerance * Math.max(1, Math.abs(a.origin[i]))) return false;
  }
  for (let i = 0; i < 9; i++) if (Math.abs(a.direction[i] - b.direction[i]) > tolerance) return false;
  return true;
}

/** Inclusive index box. */
export interface Box {
  min: Vec3;
  max: Vec3;
}

/** The grid of an inclusive index box of `g`: the same spacing and direction, its voxels where g's are. */
export function boxGeometry(g: Geometry, box: Box): Geometry {
  const size: Vec3 = [box.max[0] - box.min[0] + 1, box.max[1] - box.min[1] + 1, box.max[2] - box.min[2] + 1];
  return {
    size,
    spacing: [...g.spacing],
    origin: indexToPoint(g, box.min),
    direction: [...g.direction] as Mat3,
  };
}

/**
 * The sub-volume inside an inclusive index box. The origin moves to the physical point of the
 * box's first voxel, so every voxel keeps its physical position.
 */
export function crop<T extends VoxelType>(volume: Volume<T>, box: Box): Volume<T> {
  for (let a = 0; a < 3; a++) {
    if (!Number.isInteger(box.min[a]) || !Number.isInteger(box.max[a])) {
      throw new InvalidInputError('crop box must have integer corners');
    }
    if (box.min[a] < 0 || box.max[a] >= volume.size[a] || box.min[a] > box.max[a]) {
      throw new InvalidInputError(
        `crop box [${box.min.join(',')}]..[${box.max.join(',')}] is outside the volume ${volume.size.join('x')}`,
      );
    }
  }
  const geometry = boxGeometry(volume.geometry, box);
  const size = geometry.size;
  const out = allocate(volume.type, voxelCount(size));
  const [X, Y] = volume.size;
  let n = 0;
  for (let k = 0; k < size[2]; k++) {
    for (let j = 0; j < size[1]; j++) {
      const start = box.min[0] + X * (box.min[1] + j + Y * (box.min[2] + k));
      out.set(volume.data.subarray(start, start + size[0]), n);
      n += size[0];
    }
  }
  return new Volume(geometry, out as VoxelArrays[T]);
}

/**
 * Pad with a constant: `before[a]` voxels below index 0 and `after[a]` past the end on axis a.
 * The origin moves so that the original voxels keep their physical position.
 */
export function pad<T extends VoxelType>(volume: Volume<T>, before: Vec3, after: Vec3, value = 0): Volume<T> {
  for (let a = 0; a < 3; a++) {
    if (!Number.isInteger(before[a]) || !Number.isInteger(after[a]) || before[a] < 0 || after[a] < 0) {
      throw new InvalidInputError('padding must be non-negative integers');
    }
  }
  const size: Vec3 = [
    volume.size[0] + before[0] + after[0],
    volume.size[1] + before[1] + after[1],
    volume.size[2] + before[2] + after[2],
  ];
  const out = allocate(volume.type, voxelCount(size));
  if (value !== 0) out.fill(value);
  const [X, Y, Z] = volume.size;
  for (let k = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      const src = X * (j + Y * k);
      const dst = before[0] + size[0] * (before[1] + j + size[1] * (before[2] + k));
      out.set(volume.data.subarray(src, src + X), dst);
    }
  }
  const origin = indexToPoint(volume.geometry, [-before[0], -before[1], -before[2]]);
  return new Volume(
    { size, spacing: volume.spacing, origin, direction: volume.direction },
    out as VoxelArrays[T],
  );
}
