/** NIfTI-1 and NIfTI-2 headers, either byte order. */
import { InvalidInputError, UnsupportedFormatError } from '../../core/errors.js';
import type { ImageHeader } from './header.js';

/** NIfTI datatype code -> [name, bytes per component, components]. */
const DATATYPES: Record<number, [string, number, number]> = {
  2: ['uint8', 1, 1],
  4: ['int16', 2, 1],
  8: ['int32', 4, 1],
  16: ['float32', 4, 1],
  32: ['complex64', 8, 1],
  64: ['float64', 8, 1],
  128: ['rgb24', 1, 3],
  256: ['int8', 1, 1],
  512: ['uint16', 2, 1],
  768: ['uint32', 4, 1],
  1024: ['int64', 8, 1],
  1280: ['uint64', 8, 1],
  1536: ['float128', 16, 1],
  1792: ['complex128', 16, 1],
  2048: ['complex256', 32, 1],
  2304: ['rgba32', 1, 4],
};

export const NIFTI_HEADER_BYTES = 540;

/** Parse the first bytes (at least 348, 540 for NIfTI-2) of a decompressed NIfTI file. */
export function parseNiftiHeader(bytes: Uint8Array, name: string): ImageHeader {
  if (bytes.length < 348)
    throw new InvalidInputError(`${name} is too short to hold a NIfTI header (truncated?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let little = true;
  let size = view.getInt32(0, true);
  if (size !== 348 && size !== 540) {
    little = false;
    size = view.getInt32(0, false);
  }
  if (size === 348) return parseNifti1(view, little, name);
  if (size === 540) {
    if (bytes.length < 540)
      throw new InvalidInputError(`${name} is too short to hold a NIfTI-2 header (truncated?)`);
    return parseNifti2(view, little, name);
  }
  throw new InvalidInputError(
    `${name} is not a NIfTI file: its header size field is not 348 or 540 (corrupt?)`,
  );
}

function dataType(code: number, name: string): [string, number, number] {
  const t = DATATYPES[code];
  if (!t) throw new UnsupportedFormatError(`${name} declares an unknown NIfTI datatype ${code}`);
  return t;
}

function dimsFrom(raw: number[], name: string): number[] {
  const n = raw[0];
  if (!Number.isInteger(n) || n < 1 || n > 7) {
    throw new InvalidInputError(
      `${name} declares ${n} dimensions; a NIfTI file has 1 to 7 (corrupt header?)`,
    );
  }
  const dims = raw.slice(1, n + 1);
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 1) {
      throw new InvalidInputError(
        `${name} declares an axis of length ${d}; lengths must be positive (corrupt header?)`,
      );
    }
  }
  return dims;
}

/**
 * Where a single-file NIfTI's voxels start: after its header (348 or 540 bytes) and the 4
 * extension bytes. An offset inside the header, negative or NaN would read header bytes (or
 * nothing) as voxels, so it is refused rather than guessed.
 */
function voxelOffset(value: number, headerBytes: number, name: string): number {
  if (!Number.isFinite(value) || value < headerBytes || !Number.isSafeInteger(Math.floor(value))) {
    throw new InvalidInputError(
      `${name} declares its voxel data at byte ${value} (vox_offset), not after its ${headerBytes}-byte header (corrupt header?)`,
    );
  }
  return Math.floor(value);
}

/** The fields NIfTI-1 and NIfTI-2 share, as read at each version's offsets and widths. */
interface NiftiFields {
  dim: number[];
  datatype: number;
  pixdim: number[];
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
}

function niftiHeader(f: NiftiFields, headerBytes: number, little: boolean, name: string): ImageHeader {
  const [elementType, bytesPerElement, components] = dataType(f.datatype, name);
  const dims = dimsFrom(f.dim, name);
  return {
    format: 'nifti',
    dims,
    spacing: f.pixdim.slice(1, 1 + Math.min(3, dims.length)),
    elementType,
    bytesPerElement,
    components,
    encoding: 'raw',
    dataOffset: voxelOffset(f.voxOffset, headerBytes, name),
    littleEndian: little,
    scaling: { slope: f.sclSlope, inter: f.sclInter },
  };
}

function parseNifti1(view: DataView, little: boolean, name: string): ImageHeader {
  const magic = String.fromCharCode(view.getUint8(344), view.getUint8(345), view.getUint8(346));
  if (magic !== 'n+1' && magic !== 'ni1') {
    throw new InvalidInputError(`${name} has a NIfTI-1 header size but not its magic 'n+1' (corrupt?)`);
  }
  if (magic === 'ni1')
    throw new UnsupportedFormatError(`${name} is a two-file NIfTI (.hdr/.img); convert it to .nii`);
  const fields = {
    dim: Array.from({ length: 8 }, (_, i) => view.getInt16(40 + 2 * i, little)),
    datatype: view.getInt16(70, little),
    pixdim: Array.from({ length: 8 }, (_, i) => view.getFloat32(76 + 4 * i, little)),
    voxOffset: view.getFloat32(108, little),
    sclSlope: view.getFloat32(112, little),
    sclInter: view.getFloat32(116, little),
  };
  return niftiHeader(fields, 348, little, name);
}

function parseNifti2(view: DataView, little: boolean, name: string): ImageHeader {
  const magic = String.fromCharCode(view.getUint8(4), view.getUint8(5), view.getUint8(6));
  if (magic !== 'n+2')
    throw new InvalidInputError(`${name} has a NIfTI-2 header size but not its magic (corrupt?)`);
  const fields = {
    dim: Array.from({ length: 8 }, (_, i) => Number(view.getBigInt64(16 + 8 * i, little))),
    datatype: view.getInt16(12, little),
    pixdim: Array.from({ length: 8 }, (_, i) => view.getFloat64(104 + 8 * i, little)),
    voxOffset: Number(view.getBigInt64(168, little)),
    sclSlope: view.getFloat64(176, little),
    sclInter: view.getFloat64(184, little),
  };
  return niftiHeader(fields, 540, little, name);
}

/**
 * A copy of a NIfTI header (the bytes before its voxels, as parseNiftiHeader accepted them) that
 * declares other axis lengths and keeps every other field.
 */
export function withNiftiDims(header: Uint8Array, dims: readonly number[]): Uint8Array {
  const copy = new Uint8Array(header);
  const view = new DataView(copy.buffer);
  const little = view.getInt32(0, true) === 348 || view.getInt32(0, true) === 540;
  const nifti2 = view.getInt32(0, little) === 540;
  dims.forEach((d, i) => {
    if (nifti2) view.setBigInt64(16 + 8 * (i + 1), BigInt(d), little);
    else view.setInt16(40 + 2 * (i + 1), d, little);
  });
  return copy;
}
