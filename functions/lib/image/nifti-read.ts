/**
 * NIfTI files read with itk-wasm deciding the geometry and Node's zlib delivering the voxels.
 *
 * itk-wasm's NIfTI pipeline spends most of a read on work other than decoding. For a 512 x 512 x
 * 300 label map (78 MB) a read costs ~0.25 s: inflating inside WebAssembly on the main thread,
 * zero-filling a buffer of the declared size (even with informationOnly) and copying the voxels
 * out of its memory. Here Node's zlib inflates the file on the thread pool (the two files of an
 * evaluation at once) and the voxels are viewed in place. itk-wasm still reads the file's own
 * header, in a copy that declares 2 x 2 x 2 voxels, so the origin, spacing, direction and voxel
 * type stay ITK's rules (qform or sform, LPS) applied to the file's fields.
 *
 * What this path would not hand over exactly as itk-wasm's full read does falls back to it (null):
 * - big-endian voxels;
 * - scaled voxels (scl_slope, scl_inter);
 * - other than 3 axes;
 * - vector, complex or 64-bit integer voxels;
 * - non-finite floats (itk-wasm gives them as 0);
 * - a short or corrupt file;
 * - a header whose type or axes ITK reads differently.
 * test/lib/image/nifti-read.test.ts holds both reads equal.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Image } from 'itk-wasm';
import { type ImageHeader, declaredDataBytes, declaredVoxels } from './input/header.js';
import { NIFTI_HEADER_BYTES, parseNiftiHeader, withNiftiDims } from './input/nifti-header.js';
import { NonFiniteCounter, isFloatType } from './input/non-finite.js';

type ItkImage = InstanceType<typeof Image>;

const gunzip = promisify(zlib.gunzip);

const ARRAYS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

type ArrayType = keyof typeof ARRAYS;

const isArrayType = (t: string): t is ArrayType => Object.hasOwn(ARRAYS, t);

/** The header copy itk-wasm reads declares this many voxels per axis: enough to keep every axis. */
const STAND_IN_AXIS = 2;

/**
 * The header of a .nii.gz from the start of its compressed bytes: a prefix inflated as far as it
 * goes (deflate expands at most ~1000-fold, so a 1 KiB prefix yields at most ~1 MB).
 */
function gzipHeader(raw: Uint8Array, file: string): ImageHeader {
  let head = new Uint8Array(0);
  for (const prefix of [1024, 64 * 1024]) {
    head = zlib.gunzipSync(raw.subarray(0, prefix), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    if (head.length >= NIFTI_HEADER_BYTES || prefix >= raw.length) break;
  }
  return parseNiftiHeader(head, file);
}

/** A header whose voxels this read hands over exactly as itk-wasm's full read would. */
type HandledHeader = ImageHeader & { elementType: ArrayType };

function handledHere(h: ImageHeader): h is HandledHeader {
  const s = h.scaling;
  return (
    os.endianness() === 'LE' &&
    h.littleEndian === true &&
    h.dims.length === 3 &&
    h.components === 1 &&
    isArrayType(h.elementType) &&
    s !== undefined &&
    (s.slope === 0 || s.slope === 1) &&
    s.inter === 0
  );
}

/**
 * A file's header and bytes, inflated when it is gzip (by its magic, as znzlib does, not its
 * name); null, before anything is inflated, when the header is not one this read handles. A
 * stream that inflates to more than the header declares throws instead of filling memory (a
 * deflate bomb behind an innocent header); itk-wasm then reads the declared voxels.
 */
async function fileBytes(
  file: string,
): Promise<{ bytes: Uint8Array<ArrayBuffer>; header: HandledHeader } | null> {
  const raw = await fs.readFile(file);
  const gzip = raw.length >= 18 && raw[0] === 0x1f && raw[1] === 0x8b;
  const header = gzip ? gzipHeader(raw, file) : parseNiftiHeader(raw, file);
  if (!handledHere(header)) return null;
  if (!gzip) return { bytes: raw, header };
  const declared = header.dataOffset + declaredDataBytes(header);
  // One output chunk of the whole size spares zlib from concatenating pieces (a 78 MB copy);
  // one byte more keeps it from starting an empty chunk.
  const bytes = await gunzip(raw, {
    chunkSize: Math.max(declared + 1, 64 * 1024),
    maxOutputLength: declared,
  });
  return { bytes, header };
}

/** The voxels as the element type's array, in place where aligned. */
function voxelArray(bytes: Uint8Array<ArrayBuffer>, header: ImageHeader, type: ArrayType, count: number) {
  const Ctor = ARRAYS[type];
  const at = bytes.byteOffset + header.dataOffset;
  if (at % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer, at, count);
  // A copy (Buffer's slice would be a view, as misaligned as the file).
  const copy = new Uint8Array(
    bytes.subarray(header.dataOffset, header.dataOffset + count * Ctor.BYTES_PER_ELEMENT),
  );
  return new Ctor(copy.buffer, 0, count);
}

type ItkImageIo = typeof import('@itk-wasm/image-io');

/** itk-wasm's reading of the header bytes (all before the voxels), with stand-in axis lengths. */
async function itkHeader(
  io: Promise<ItkImageIo>,
  headerBytes: Uint8Array,
  axes: number,
): Promise<ItkImage | null> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'medals-nifti-'));
  try {
    const file = path.join(dir, 'header.nii');
    await fs.writeFile(file, withNiftiDims(headerBytes, new Array<number>(axes).fill(STAND_IN_AXIS)));
    const { couldRead, image } = await (await io).niftiReadImageNode(file, { informationOnly: true });
    return couldRead ? image : null;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** A NIfTI file as itk-wasm's full read would give it, or null where that read must do it. */
export async function readNiftiImage(file: string): Promise<ItkImage | null> {
  // itk-wasm loads (~0.1 s on the main thread) while the thread pool reads and inflates the file.
  const io = import('@itk-wasm/image-io');
  io.catch(() => undefined);
  const read = await fileBytes(file).catch(() => null);
  if (!read) return null;
  const { bytes, header } = read;
  const { dims, elementType } = header;
  const count = declaredVoxels(header);
  const byteLength = declaredDataBytes(header);
  if (header.dataOffset + byteLength > bytes.length) return null;
  if (isFloatType(elementType)) {
    const counter = new NonFiniteCounter(elementType, true, header.dataOffset, byteLength);
    counter.push(bytes);
    if (counter.finish() > 0) return null;
  }
  // A header ITK refuses is refused again, with its message, by the full read.
  const image = await itkHeader(io, bytes.subarray(0, header.dataOffset), dims.length).catch(() => null);
  const t = image?.imageType;
  if (
    !image ||
    t?.dimension !== 3 ||
    t.components !== 1 ||
    t.pixelType !== 'Scalar' ||
    t.componentType !== elementType ||
    !image.size.every((n) => n === STAND_IN_AXIS)
  ) {
    return null;
  }
  image.size = [...dims];
  image.data = voxelArray(bytes, header, elementType, count);
  return image;
}
