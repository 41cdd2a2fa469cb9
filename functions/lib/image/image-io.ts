/**
 * Volumes to and from image files through itk-wasm (NIfTI, NRRD, MHA/MHD and the other ITK
 * formats). itk-wasm stores direction row-major with column c the direction of index axis c,
 * the same convention as Volume, so geometry passes through unchanged.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Image } from 'itk-wasm';
import { InvalidInputError, MedalsError, NotFoundError, UnsupportedFormatError } from '../core/errors.js';
import { type Mat3, type Vec3, type VoxelArray, Volume } from '../geometry/volume.js';
import { quietItk } from './itk-console.js';
import { shareVolume, sharedVolume } from './shared-volumes.js';
import { imageExtension } from './input/extension.js';
import { readNiftiImage } from './nifti-read.js';

type ItkImage = InstanceType<typeof Image>;

/** Component types stored as-is, and the ones widened to a supported type on read. */
function toSupportedArray(data: ArrayLike<number>, componentType: string): VoxelArray {
  switch (componentType) {
    case 'uint8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'float32':
      return data as VoxelArray;
    case 'int8':
      return Int16Array.from(data);
    case 'uint32':
    case 'float64':
      return Float32Array.from(data);
    default:
      throw new UnsupportedFormatError(
        `voxel type ${componentType} is not supported (use uint8, int16, uint16, int32 or float32)`,
      );
  }
}

export function volumeFromItkImage(image: ItkImage, source = 'image'): Volume {
  const { dimension, components, componentType } = image.imageType;
  if (dimension !== 3) {
    throw new UnsupportedFormatError(`${source} is ${dimension}D; medals needs a 3D volume`);
  }
  if (components !== 1) {
    throw new UnsupportedFormatError(
      `${source} has ${components} components per voxel; medals needs scalar voxels`,
    );
  }
  if (!image.data) throw new UnsupportedFormatError(`${source} has no voxel data`);
  const data = toSupportedArray(image.data as ArrayLike<number>, componentType);
  // itk-wasm hands NaN geometry (from a damaged header) over as null.
  const numbers = (values: ArrayLike<unknown>) =>
    Array.from(values, (v) => (typeof v === 'number' ? v : NaN));
  try {
    return new Volume(
      {
        size: [...image.size] as Vec3,
        spacing: numbers(image.spacing) as Vec3,
        origin: numbers(image.origin) as Vec3,
        // -0 from itk-wasm would break deep equality in callers' comparisons; normalise it.
        direction: numbers(image.direction).map((v) => v + 0) as Mat3,
      },
      data,
    );
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    throw new InvalidInputError(
      `${source}: ${e.message} (damaged orientation or position fields in its header?)`,
      {
        cause: e,
      },
    );
  }
}

/**
 * An itk-wasm image of the volume, built as a plain object: itk-wasm itself (and its WebAssembly
 * zstd decoder, ~0.1 s to import) is loaded only where a pipeline runs, so that a first read
 * overlaps it with the file's inflating (nifti-read.ts).
 */
export function itkImageFromVolume(volume: Volume): ItkImage {
  const data = volume.data;
  // itk-wasm hands a pipeline the whole ArrayBuffer behind the array, whatever its offset: a
  // view (a NIfTI file's voxels read in place, a subarray) goes over as a copy of its own.
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
  return {
    imageType: { dimension: 3, componentType: volume.type, pixelType: 'Scalar', components: 1 },
    name: 'Image',
    size: [...volume.size],
    spacing: [...volume.spacing],
    origin: [...volume.origin],
    direction: new Float64Array(volume.direction),
    metadata: new Map(),
    data: whole ? data : data.slice(),
  };
}

/**
 * itk-wasm's reading of a file. NIfTI: geometry by itk-wasm, voxels by Node (nifti-read.ts), else
 * itk-wasm's NIfTI reader directly (readImageNode picks it by the extension too, but then copies
 * the voxels once more, ~0.1 s for a 512 x 512 x 300 label map); other formats: readImageNode.
 */
async function readItkImage(file: string): Promise<ItkImage> {
  const ext = imageExtension(file);
  if (ext === '.nii' || ext === '.nii.gz') {
    const fast = await readNiftiImage(path.resolve(file));
    if (fast) return fast;
    const { niftiReadImageNode } = await import('@itk-wasm/image-io');
    const { couldRead, image } = await niftiReadImageNode(path.resolve(file));
    if (couldRead) return image;
  }
  const { readImageNode } = await import('@itk-wasm/image-io');
  return readImageNode(file);
}

/**
 * How a read or write takes part in the in-process hand-over of volumes (shared-volumes.ts):
 * `true` shares the volume (read-only for everyone from then on), `'take'` (reads) hands it over
 * and forgets it.
 */
export type Sharing = boolean | 'take';

export async function readVolumeFile(file: string, options: { shared?: Sharing } = {}): Promise<Volume> {
  if (options.shared) {
    const volume = sharedVolume(file, { take: options.shared === 'take' });
    if (volume) return volume;
  }
  const volume = await decodeVolumeFile(file);
  if (options.shared === true) shareVolume(file, volume);
  return volume;
}

async function decodeVolumeFile(file: string): Promise<Volume> {
  try {
    await fs.access(file);
  } catch (e) {
    throw new NotFoundError(`image file not found: ${file}`, { cause: e });
  }
  let image: ItkImage;
  try {
    image = await quietItk(() => readItkImage(file));
  } catch (e) {
    // itk-wasm throws bare numbers or terse strings; give the user the file and the format.
    const why = e instanceof Error ? e.message : String(e);
    throw new UnsupportedFormatError(
      `could not read ${file} as an image (${imageExtension(file) || 'no extension'}): ${why}`,
      { cause: e },
    );
  }
  return volumeFromItkImage(image, file);
}

/**
 * Write a volume; the file appears whole or not at all (written under a temporary name in the
 * same directory, then renamed). The format follows the extension.
 */
export async function writeVolumeFile(
  volume: Volume,
  file: string,
  options: { compress?: boolean; shared?: boolean } = {},
): Promise<void> {
  const ext = imageExtension(file);
  if (!ext) throw new UnsupportedFormatError(`cannot tell the image format of ${file}: give it an extension`);
  await fs.mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const temp = path.join(
    path.dirname(path.resolve(file)),
    `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp${ext}`,
  );
  const { writeImageNode } = await import('@itk-wasm/image-io');
  try {
    await quietItk(() =>
      writeImageNode(itkImageFromVolume(volume), temp, { useCompression: options.compress ?? true }),
    );
    await fs.rename(temp, file);
    if (options.shared) shareVolume(file, volume);
  } catch (e) {
    await fs.rm(temp, { force: true });
    if (e instanceof MedalsError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new UnsupportedFormatError(`could not write ${file}: ${why}`, { cause: e });
  }
}
