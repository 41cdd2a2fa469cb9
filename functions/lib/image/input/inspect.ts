/**
 * Checks an image file from its own header before any voxel is decoded: dimensionality,
 * spacing, the size limit, and that the file really holds (or decompresses to) as many bytes as
 * the header declares. Decompression stops as soon as enough bytes have come out, so neither a
 * deflate bomb nor a huge declared size costs more than the limit. Float NIfTI voxels are also
 * checked for NaN and infinite values here (non-finite.ts), since itk-wasm reads them as 0.
 */
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { createGunzip, createInflate } from 'node:zlib';
import { InvalidInputError, NotFoundError, UnsupportedFormatError } from '../../core/errors.js';
import { imageExtension } from './extension.js';
import { nonFiniteVoxels } from './check-volume.js';
import { type ImageHeader, declaredDataBytes, declaredVoxels } from './header.js';
import { NIFTI_HEADER_BYTES, parseNiftiHeader } from './nifti-header.js';
import { NonFiniteCounter, isFloatType } from './non-finite.js';
import { parseMetaImageHeader, parseNrrdHeader } from './text-headers.js';

export const DEFAULT_MAX_VOXELS = 1e9;
const STREAM_CHUNK = 1 << 20;
const TEXT_HEADER_PROBE = 64 * 1024;

interface InspectOptions {
  /** Refuse images with more voxels than this (default 1e9). */
  maxVoxels?: number;
}

interface Inflated {
  head: Uint8Array;
  /** Decompressed bytes seen, at most `target` plus one chunk. */
  total: number;
  /** Why the stream ended before `target`, if it did. */
  failure?: 'truncated' | 'corrupt';
}

/**
 * Decompress from `start` until `target` bytes came out (then stop), keeping the first `keep`
 * and handing every decompressed chunk to `sink`, if given.
 */
function inflateUntil(
  file: string,
  start: number,
  kind: 'gzip' | 'zlib',
  keep: number,
  target: number,
  sink?: (chunk: Buffer) => void,
): Promise<Inflated> {
  return new Promise((resolve) => {
    // 1 MiB chunks: with the defaults (64 KiB read, 16 KiB inflated) decompressing a 512 x 512 x
    // 240 CT took thousands of thread-pool round trips, 0.8 s mostly spent waiting.
    const input = createReadStream(file, { start, highWaterMark: STREAM_CHUNK });
    const inflate =
      kind === 'gzip'
        ? createGunzip({ chunkSize: STREAM_CHUNK })
        : createInflate({ chunkSize: STREAM_CHUNK });
    const head = Buffer.alloc(keep);
    let total = 0;
    let done = false;
    const finish = (failure?: Inflated['failure']) => {
      if (done) return;
      done = true;
      input.destroy();
      inflate.destroy();
      const result: Inflated = { head: head.subarray(0, Math.min(total, keep)), total };
      if (failure && total < target) result.failure = failure;
      resolve(result);
    };
    inflate.on('data', (chunk: Buffer) => {
      if (total < keep) chunk.copy(head, total, 0, Math.min(chunk.length, keep - total));
      sink?.(chunk);
      total += chunk.length;
      if (total >= target) finish();
    });
    inflate.on('end', () => finish('truncated'));
    inflate.on('error', (e: NodeJS.ErrnoException) =>
      finish(e.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e.message) ? 'truncated' : 'corrupt'),
    );
    input.on('error', () => finish('corrupt'));
    input.pipe(inflate);
  });
}

async function readPrefix(file: string, bytes: number): Promise<Uint8Array> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function checkDeclared(h: ImageHeader, name: string, maxVoxels: number): void {
  if (h.components !== 1) {
    throw new UnsupportedFormatError(
      `${name} has ${h.components} components per voxel (${h.elementType}); medals needs scalar voxels`,
    );
  }
  if (/complex|float128/.test(h.elementType)) {
    throw new UnsupportedFormatError(
      `${name} has ${h.elementType} voxels; medals needs integer or real voxels`,
    );
  }
  if (h.dims.length < 3)
    throw new InvalidInputError(
      `${name} is ${h.dims.length}D (${h.dims.join('x')}); medals needs a 3D volume`,
    );
  const extra = h.dims.slice(3).reduce((a, b) => a * b, 1);
  if (extra > 1) {
    throw new InvalidInputError(
      `${name} is ${h.dims.length}D with ${extra} volumes (${h.dims.join('x')}); give one 3D volume`,
    );
  }
  const spacing = h.spacing.slice(0, 3);
  if (spacing.length < 3 || spacing.some((s) => !Number.isFinite(s) || s <= 0)) {
    throw new InvalidInputError(
      `${name} declares spacing ${spacing.map(String).join(' x ') || '(none)'}; each axis needs a positive, finite spacing in mm`,
    );
  }
  const voxels = declaredVoxels(h);
  if (voxels > maxVoxels) {
    throw new InvalidInputError(
      `${name} declares ${h.dims.join('x')} = ${voxels.toExponential(3)} voxels, over the limit of ${maxVoxels.toExponential(3)} (options.maxVoxels)`,
    );
  }
}

function truncated(name: string, have: number, need: number): InvalidInputError {
  return new InvalidInputError(
    `${name} is truncated: it holds ${have} bytes of voxel data where its header declares ${need}`,
  );
}

async function checkDataBytes(file: string, h: ImageHeader, name: string): Promise<void> {
  if (h.encoding === 'unsupported') return; // text-encoded NRRD: itk-wasm parses and checks it
  const dataFile = h.dataFile ? path.resolve(path.dirname(file), h.dataFile) : file;
  const start = h.dataFile ? 0 : h.dataOffset;
  const need = declaredDataBytes(h);
  if (h.dataFile) {
    try {
      await fs.access(dataFile);
    } catch (e) {
      throw new NotFoundError(`${name} refers to a data file ${h.dataFile} that is not there`, { cause: e });
    }
  }
  if (h.encoding === 'raw') {
    const have = (await fs.stat(dataFile)).size - start;
    if (have < need) throw truncated(name, Math.max(0, have), need);
    return;
  }
  const r = await inflateUntil(dataFile, start, h.encoding, 0, need);
  if (r.failure === 'corrupt') throw new InvalidInputError(`${name}: its compressed voxel data is corrupt`);
  if (r.failure === 'truncated') throw truncated(name, r.total, need);
}

const SCAN_BLOCK_BYTES = 4 * 2 ** 20;

/** A counter of a float NIfTI's non-finite voxels, in a stream where they start at `offset`. */
function floatScan(h: ImageHeader, offset: number): NonFiniteCounter | null {
  if (!isFloatType(h.elementType)) return null;
  return new NonFiniteCounter(h.elementType, h.littleEndian ?? true, offset, declaredDataBytes(h));
}

/** Feed an uncompressed file's bytes [start, start + length) to the counter, block by block. */
async function scanRaw(file: string, scan: NonFiniteCounter, start: number, length: number): Promise<void> {
  const handle = await fs.open(file, 'r');
  try {
    const block = Buffer.allocUnsafe(Math.min(SCAN_BLOCK_BYTES, length));
    for (let at = 0; at < length;) {
      const { bytesRead } = await handle.read(block, 0, Math.min(block.length, length - at), start + at);
      if (bytesRead === 0) break;
      scan.push(block.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await handle.close();
  }
}

/**
 * Inspect a .nii/.nii.gz file's header; the voxel bytes are counted while decompressing, and
 * float voxels checked for NaN and infinite values.
 */
async function inspectNifti(
  file: string,
  name: string,
  gz: boolean,
  maxVoxels: number,
): Promise<ImageHeader> {
  if (!gz) {
    const header = parseNiftiHeader(await readPrefix(file, NIFTI_HEADER_BYTES), name);
    checkDeclared(header, name, maxVoxels);
    const have = (await fs.stat(file)).size - header.dataOffset;
    if (have < declaredDataBytes(header)) throw truncated(name, Math.max(0, have), declaredDataBytes(header));
    const scan = floatScan(header, 0);
    if (scan) {
      await scanRaw(file, scan, header.dataOffset, declaredDataBytes(header));
      const bad = scan.finish();
      if (bad > 0) throw nonFiniteVoxels(name, bad);
    }
    return header;
  }
  const probe = await inflateUntil(file, 0, 'gzip', NIFTI_HEADER_BYTES, NIFTI_HEADER_BYTES);
  if (probe.failure === 'corrupt' || (probe.failure === 'truncated' && probe.total < 348)) {
    throw new InvalidInputError(
      `${name} is not a readable gzip-compressed NIfTI file (corrupt or truncated)`,
    );
  }
  const header = parseNiftiHeader(probe.head, name);
  checkDeclared(header, name, maxVoxels);
  const need = header.dataOffset + declaredDataBytes(header);
  const scan = floatScan(header, header.dataOffset);
  const all = await inflateUntil(file, 0, 'gzip', 0, need, scan ? (chunk) => scan.push(chunk) : undefined);
  if (all.failure === 'corrupt') throw new InvalidInputError(`${name}: its compressed voxel data is corrupt`);
  if (all.failure === 'truncated')
    throw truncated(name, Math.max(0, all.total - header.dataOffset), need - header.dataOffset);
  const bad = scan?.finish() ?? 0;
  if (bad > 0) throw nonFiniteVoxels(name, bad);
  return header;
}

/**
 * Read and check what an image file declares. Returns the header for NIfTI, NRRD and
 * MetaImage; other formats that itk-wasm reads pass with `null` (checked after reading).
 */
export async function inspectImageFile(
  file: string,
  options: InspectOptions = {},
): Promise<ImageHeader | null> {
  const maxVoxels = options.maxVoxels ?? DEFAULT_MAX_VOXELS;
  const name = path.basename(file);
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (e) {
    throw new NotFoundError(`image file not found: ${file}`, { cause: e });
  }
  if (stat.isDirectory()) return null; // a DICOM series folder
  if (stat.size === 0) throw new InvalidInputError(`${name} is empty`);
  const ext = imageExtension(file);
  if (ext === '.nii' || ext === '.nii.gz') return inspectNifti(file, name, ext === '.nii.gz', maxVoxels);
  let header: ImageHeader;
  if (ext === '.nrrd' || ext === '.nhdr')
    header = parseNrrdHeader(await readPrefix(file, TEXT_HEADER_PROBE), name);
  else if (ext === '.mha' || ext === '.mhd')
    header = parseMetaImageHeader(await readPrefix(file, TEXT_HEADER_PROBE), name);
  else return null;
  checkDeclared(header, name, maxVoxels);
  await checkDataBytes(file, header, name);
  return header;
}
