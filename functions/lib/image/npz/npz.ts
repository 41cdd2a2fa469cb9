/**
 * numpy `.npz` files: a zip of `.npy` entries. Each array's npy header is read from a bounded
 * prefix of its entry first, so a declared shape over `maxElements` (or one that disagrees with
 * the entry's declared size) is refused before the entry is inflated.
 */
import { constants as bufferConstants } from 'node:buffer';
import { InvalidInputError, UnsupportedFormatError } from '../../core/errors.js';
import {
  DEFAULT_MAX_ELEMENTS,
  MAX_HEADER_BYTES,
  parseNpyHeader,
  readNpy,
  writeNpy,
  type NpyArray,
  type NpyPrompts,
} from './npy.js';
import { listZip, peekZipEntry, readZipEntry, writeZip, type ZipEntry } from './zip.js';

export interface NpzReadOptions {
  /** Largest element count of one array (default 1e9). */
  maxElements?: number;
  /** Largest uncompressed entry in bytes (default: the largest Buffer Node can make). */
  maxEntryBytes?: number;
  /** Most zip entries (default 10000). */
  maxEntries?: number;
}

/** text_prompts are a few kilobytes; a larger pickle is refused before inflating. */
const MAX_PICKLE_BYTES = 16 << 20;

export type NpzValue = NpyArray | NpyPrompts;

interface NpzFile {
  /** Array names (entry names without `.npy`), in file order; other entries are ignored. */
  readonly keys: string[];
  has(key: string): boolean;
  /** Decode one array; INVALID_INPUT if there is none of that name. */
  get(key: string): NpzValue;
}

/** The npy header of an entry: a small prefix first, more only when the header says it is longer. */
function peekHeader(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const head = peekZipEntry(bytes, entry, 4096);
  if (head.length < 12 || head.length === entry.uncompressedSize) return head;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const need = head[6] === 1 ? 10 + view.getUint16(8, true) : 12 + view.getUint32(8, true);
  return need > head.length && need <= 12 + MAX_HEADER_BYTES ? peekZipEntry(bytes, entry, need) : head;
}

/** Open an npz: its directory is checked now, each array is read only when asked for. */
export function openNpz(bytes: Uint8Array, options: NpzReadOptions = {}): NpzFile {
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const maxEntryBytes = Math.min(options.maxEntryBytes ?? Infinity, bufferConstants.MAX_LENGTH);
  const entries = new Map<string, ZipEntry>();
  for (const e of listZip(bytes, { maxEntries: options.maxEntries })) {
    if (e.name.endsWith('.npy')) entries.set(e.name.slice(0, -4), e);
  }
  return {
    keys: [...entries.keys()],
    has: (key) => entries.has(key),
    get(key) {
      const entry = entries.get(key);
      if (!entry) throw new InvalidInputError(`npz has no array named ${key}`);
      try {
        const size = entry.uncompressedSize;
        if (size > maxEntryBytes) {
          throw new InvalidInputError(`entry declares ${size} bytes, over the limit ${maxEntryBytes}`);
        }
        const head = parseNpyHeader(peekHeader(bytes, entry), { maxElements });
        if (head.dtype === 'object' && size > MAX_PICKLE_BYTES) {
          throw new InvalidInputError(`pickled entry of ${size} bytes is over the limit ${MAX_PICKLE_BYTES}`);
        }
        if (head.dataBytes >= 0 && head.dataOffset + head.dataBytes !== size) {
          throw new InvalidInputError(
            `npy header declares shape (${head.shape.join(', ')}) of ${head.dtype}, ` +
              `${head.dataBytes} data bytes, but the entry holds ${size - head.dataOffset}`,
          );
        }
        return readNpy(readZipEntry(bytes, entry, maxEntryBytes), { maxElements });
      } catch (e) {
        if (e instanceof InvalidInputError || e instanceof UnsupportedFormatError) {
          e.message = `npz array ${key}: ${e.message}`;
        }
        throw e;
      }
    },
  };
}

/** Read every array of an npz into a Map of name -> array (or decoded text prompts). */
export function readNpz(bytes: Uint8Array, options: NpzReadOptions = {}): Map<string, NpzValue> {
  const npz = openNpz(bytes, options);
  return new Map(npz.keys.map((k) => [k, npz.get(k)]));
}

interface NpzWriteOptions {
  /** Deflate, as `np.savez_compressed` (default true); false stores, as `np.savez`. */
  compress?: boolean;
  forceZip64?: boolean;
}

/** Write arrays as an npz numpy reads with `np.load` (text prompts need `allow_pickle=True`). */
export function writeNpz(
  entries: Map<string, NpzValue> | Record<string, NpzValue>,
  options: NpzWriteOptions = {},
): Buffer {
  const list = entries instanceof Map ? [...entries] : Object.entries(entries);
  return writeZip(
    list.map(([name, value]) => ({ name: `${name}.npy`, data: writeNpy(value) })),
    options,
  );
}
