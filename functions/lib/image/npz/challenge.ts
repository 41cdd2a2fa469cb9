/**
 * The CVPR 2025 BiomedSegFM challenge npz: `imgs` (D, H, W) uint8 0..255, `spacing` (3 numbers),
 * optional `gts` (D, H, W) integer labels and `text_prompts` (a pickled dict); outputs hold
 * `segs` (D, H, W) int16 and `spacing`.
 *
 * Axis order: a C-order (D, H, W) array is x-fastest, so it IS a Volume of size (X, Y, Z) =
 * (W, H, D) with no transposition. The `spacing` vector is exposed raw, as stored: the
 * challenge evaluator applies it to the array axes (D, H, W), while Medal S reads it in (x, y, z)
 * order with a swap heuristic. Which applies is the caller's decision (preprocess), so
 * `arrayToVolume` takes a spacing already in Volume (x, y, z) order.
 */
import { InvalidInputError, UnsupportedFormatError } from '../../core/errors.js';
import { IDENTITY, Volume, type Mat3, type Vec3, type VoxelType } from '../../geometry/volume.js';
import { toNumbers, type NpyArray } from './npy.js';
import { openNpz, writeNpz, type NpzReadOptions, type NpzValue } from './npz.js';
import type { PromptDict } from './pickle.js';

interface ChallengeCase {
  /** Shape [D, H, W]. */
  imgs: NpyArray<'uint8'>;
  /** As stored in the file; see the module comment for its axis order. */
  spacing: [number, number, number];
  textPrompts?: PromptDict;
  /** Integer labels, shape [D, H, W]. */
  gts?: NpyArray;
}

const INTEGER = ['bool', 'uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'];
const VOXEL: Record<string, VoxelType> = {
  bool: 'uint8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  float32: 'float32',
};

const shapeText = (v: NpzValue) => `(${v.shape.join(', ')})`;

/** Read a challenge npz; arrays other than the four known ones are not decoded. */
export function readChallengeNpz(bytes: Uint8Array, options: NpzReadOptions = {}): ChallengeCase {
  const npz = openNpz(bytes, options);
  if (!npz.has('imgs')) {
    throw new InvalidInputError(
      `challenge npz has no imgs array (it holds: ${npz.keys.join(', ') || 'nothing'})`,
    );
  }
  const imgs = npz.get('imgs');
  if (imgs.dtype !== 'uint8' || imgs.shape.length !== 3) {
    throw new InvalidInputError(
      `challenge imgs must be uint8 (D, H, W), got ${imgs.dtype} ${shapeText(imgs)}`,
    );
  }
  if (!npz.has('spacing')) throw new InvalidInputError('challenge npz has no spacing array');
  const spacing = npz.get('spacing');
  if (spacing.dtype === 'object' || spacing.data.length !== 3) {
    throw new InvalidInputError(
      `challenge spacing must be 3 numbers, got ${spacing.dtype} ${shapeText(spacing)}`,
    );
  }
  const out: ChallengeCase = {
    imgs: imgs as NpyArray<'uint8'>,
    spacing: toNumbers(spacing) as [number, number, number],
  };
  if (npz.has('text_prompts')) {
    const tp = npz.get('text_prompts');
    if (tp.dtype !== 'object')
      throw new UnsupportedFormatError(`text_prompts of dtype ${tp.dtype} is not a dict`);
    out.textPrompts = tp.value;
  }
  if (npz.has('gts')) {
    const gts = npz.get('gts');
    if (!INTEGER.includes(gts.dtype) || shapeText(gts) !== shapeText(imgs)) {
      throw new InvalidInputError(
        `challenge gts must be integer labels of the imgs shape ${shapeText(imgs)}, got ${gts.dtype} ${shapeText(gts)}`,
      );
    }
    out.gts = gts as NpyArray;
  }
  return out;
}

/**
 * A (D, H, W) array as a Volume of size (W, H, D), sharing its data; `spacingXYZ` is in Volume
 * order (x, y, z). Supported dtypes: uint8 (and bool), int16, uint16, int32, float32.
 */
export function arrayToVolume(
  a: NpyArray,
  spacingXYZ: Vec3,
  origin: Vec3 = [0, 0, 0],
  direction: Mat3 = IDENTITY,
): Volume {
  if (a.shape.length !== 3)
    throw new InvalidInputError(`a volume needs a 3D array, got shape ${shapeText(a)}`);
  const type = VOXEL[a.dtype];
  if (!type) throw new UnsupportedFormatError(`a ${a.dtype} array cannot be a volume; convert it first`);
  const [d, h, w] = a.shape;
  return new Volume({ size: [w, h, d], spacing: spacingXYZ, origin, direction }, a.data as Volume['data']);
}

/** A Volume's voxels as a (Z, Y, X) C-order array, sharing its data. */
export function volumeToArray<T extends VoxelType>(v: Volume<T>): NpyArray<T> {
  return {
    dtype: v.type,
    shape: [v.size[2], v.size[1], v.size[0]],
    data: v.data,
    fortranOrder: false,
  } as NpyArray<T>;
}

interface ChallengeOutput {
  /** int16 labels, (D, H, W) C order, or a Volume of size (W, H, D). */
  segs: NpyArray<'int16'> | Volume<'int16'>;
  /** Written as float64, as given (the input's stored spacing, normally). */
  spacing: readonly number[];
  textPrompts?: PromptDict;
}

/** The challenge output, as `np.savez_compressed(segs=..., spacing=..., text_prompts=...)`. */
export function writeChallengeNpz(output: ChallengeOutput, options: { compress?: boolean } = {}): Buffer {
  const segs = output.segs instanceof Volume ? volumeToArray(output.segs) : output.segs;
  if (segs.dtype !== 'int16' || segs.shape.length !== 3) {
    throw new InvalidInputError(`segs must be int16 (D, H, W), got ${segs.dtype} ${shapeText(segs)}`);
  }
  if (output.spacing.length !== 3 || output.spacing.some((s) => typeof s !== 'number')) {
    throw new InvalidInputError('spacing must be 3 numbers');
  }
  const entries: Record<string, NpzValue> = {
    segs,
    spacing: { dtype: 'float64', shape: [3], data: Float64Array.from(output.spacing), fortranOrder: false },
  };
  if (output.textPrompts) entries.text_prompts = { dtype: 'object', shape: [], value: output.textPrompts };
  return writeNpz(entries, { compress: options.compress ?? true });
}
