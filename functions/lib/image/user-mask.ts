/**
 * The user's mask of hybrid mode (`--mask`, request field `mask`): a label map on exactly the
 * image's grid whose values are prompt label values. It stands in for the stage-1 prediction of
 * the classes it contains (functions/steps/segment/hybrid.ts). Read and checked by preprocess before
 * any work, and again by segment, which uses it.
 *
 * For an ITK image the mask is any ITK file of the same geometry (size, spacing, origin and
 * direction). For a challenge npz, which carries no geometry beyond its spacing, the mask is an
 * npz holding one (D, H, W) integer array of the image's shape (`segs`, `gts`, or its only array).
 */
import { InvalidInputError, UnsupportedFormatError } from '../core/errors.js';
import { readVolumeFile } from './image-io.js';
import { imageExtension } from './input/extension.js';
import { type NpyArray, openNpz } from './npz/index.js';
import { parseUri, storageFor } from '../storage/index.js';
import { type Geometry, Volume, sameGeometry } from '../geometry/volume.js';
import { withLocalCopy } from './volume-store.js';
import { inspectImageFile } from './input/inspect.js';

/** Relative tolerance on spacing and origin (a mask written by another tool rounds them). */
const MASK_GEOMETRY_TOLERANCE = 1e-4;

export interface UserMask {
  /** Labels on the image's grid (its geometry exactly). */
  labels: Volume<'int32'>;
  /** The distinct non-zero values, ascending: the classes the mask prompts. */
  values: number[];
}

interface MaskTarget {
  geometry: Geometry;
  /** The image's npz (D, H, W) shape when it was a challenge npz. */
  npzShape?: readonly [number, number, number];
  /** Prompt label values and names, for the message about values no prompt has. */
  prompts: readonly { value: number; name?: string; text?: string }[];
  maxVoxels?: number;
}

const geometryText = (g: Geometry) =>
  `size ${g.size.join('x')}, spacing [${g.spacing.join(', ')}], origin [${g.origin.join(', ')}], direction [${g.direction.join(', ')}]`;

function npzMaskArray(bytes: Uint8Array, uri: string): NpyArray {
  const npz = openNpz(bytes);
  const name = ['segs', 'gts'].find((k) => npz.has(k)) ?? (npz.keys.length === 1 ? npz.keys[0] : undefined);
  if (name === undefined) {
    throw new InvalidInputError(
      `${uri}: a mask npz must hold a segs or gts array, or exactly one array (it holds: ${npz.keys.join(', ') || 'nothing'})`,
    );
  }
  const array = npz.get(name);
  if (array.dtype === 'object')
    throw new InvalidInputError(`${uri}: the mask array ${name} holds objects, not labels`);
  return array;
}

/** Integer voxels as int32; a float mask is accepted when every voxel is a whole number. */
function asInt32(data: ArrayLike<number>, uri: string): Int32Array {
  if (data instanceof Int32Array) return data;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
      throw new InvalidInputError(
        `${uri}: a mask holds integer label values, found ${v} (voxel ${i}); save it as an integer label map`,
      );
    }
    out[i] = v;
  }
  return out;
}

async function readMaskVoxels(uri: string, target: MaskTarget): Promise<Volume> {
  const location = parseUri(uri);
  const ext = imageExtension(location.scheme === 's3' ? location.key : location.path);
  if (!ext)
    throw new InvalidInputError(`cannot tell the format of the mask ${uri}: give the file its extension`);
  if (target.npzShape) {
    if (ext !== '.npz') {
      throw new UnsupportedFormatError(
        `the image is a challenge npz, so the mask must be an npz with a (D, H, W) array of its shape; got ${uri}`,
      );
    }
    const array = npzMaskArray(await storageFor(uri).read(uri), uri);
    const [d, h, w] = target.npzShape;
    if (array.shape.join() !== [d, h, w].join()) {
      throw new InvalidInputError(
        `${uri}: the mask array has shape (${array.shape.join(', ')}) but the image (D, H, W) is (${d}, ${h}, ${w})`,
      );
    }
    if (array.fortranOrder)
      throw new UnsupportedFormatError(`${uri}: Fortran-order mask arrays are not supported`);
    const data =
      array.dtype === 'int64' || array.dtype === 'uint64'
        ? Array.from(array.data as BigInt64Array | BigUint64Array, Number)
        : (array.data as ArrayLike<number>);
    return new Volume<'int32'>(target.geometry, asInt32(data, uri));
  }
  if (ext === '.npz') {
    throw new UnsupportedFormatError(
      `${uri}: an npz mask goes with a challenge npz image; for this image give a label map in an image format (.nii.gz, .nrrd, .mha)`,
    );
  }
  return withLocalCopy(uri, async (file) => {
    await inspectImageFile(file, { maxVoxels: target.maxVoxels });
    return readVolumeFile(file);
  });
}

/**
 * Reads and checks the mask: INVALID_INPUT when its geometry differs from the image's, when it
 * holds values no prompt has, or when it is empty; UNSUPPORTED_FORMAT for a format that cannot
 * carry it.
 */
export async function readUserMask(uri: string, target: MaskTarget): Promise<UserMask> {
  const volume = await readMaskVoxels(uri, target);
  if (!target.npzShape && !sameGeometry(volume.geometry, target.geometry, MASK_GEOMETRY_TOLERANCE)) {
    throw new InvalidInputError(
      `the mask ${uri} is not on the image's grid: mask ${geometryText(volume.geometry)}; image ${geometryText(target.geometry)}. ` +
        'Resample the mask onto the image first (nearest neighbour).',
      { details: { mask: volume.geometry, image: target.geometry } },
    );
  }
  const labels = asInt32(volume.data, uri);
  const present = new Set<number>();
  for (let i = 0; i < labels.length; i++) if (labels[i] !== 0) present.add(labels[i]);
  if (present.size === 0) throw new InvalidInputError(`the mask ${uri} has no labelled voxel`);
  const prompted = new Set(target.prompts.map((p) => p.value));
  const stray = [...present].filter((v) => !prompted.has(v)).sort((a, b) => a - b);
  if (stray.length > 0) {
    const list = target.prompts.map((p) => `${p.value} ${p.name ?? p.text ?? ''}`.trim()).join(', ');
    throw new InvalidInputError(
      `the mask ${uri} holds label value${stray.length > 1 ? 's' : ''} ${stray.join(', ')} that no prompt has (prompts: ${list}); ` +
        'mask values must be the prompts’ label values',
      { details: { maskValues: stray } },
    );
  }
  return {
    labels: new Volume<'int32'>(target.geometry, labels),
    values: [...present].sort((a, b) => a - b),
  };
}
