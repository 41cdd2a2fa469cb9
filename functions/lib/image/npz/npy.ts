/**
 * numpy `.npy` reader and writer (format versions 1.0, 2.0, 3.0), little-endian numeric dtypes,
 * bool, C or Fortran order, any rank, and the pickled `text_prompts` object array.
 *
 * Data handed back is always in C order (last axis fastest); `fortranOrder` records how the file
 * stored it. 64-bit integers are read into BigInt64Array / BigUint64Array (lossless); use
 * `toNumbers` for plain numbers. Sizes are checked against the header and the bytes present
 * before anything of the declared size is allocated.
 */
import { InvalidInputError, UnsupportedFormatError } from '../../core/errors.js';
import { readPickledPrompts, writePickledPrompts, type PromptDict } from './pickle.js';

interface NpyDataMap {
  bool: Uint8Array;
  uint8: Uint8Array;
  int8: Int8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  float32: Float32Array;
  float64: Float64Array;
}
export type NpyDtype = keyof NpyDataMap;

export interface NpyArray<D extends NpyDtype = NpyDtype> {
  dtype: D;
  shape: number[];
  /** C order. On read it may share memory with the input bytes (see `readNpy`). */
  data: NpyDataMap[D];
  /** On read: the file stored Fortran order (converted). On write: store in Fortran order. */
  fortranOrder: boolean;
}

/** A 0-d object array holding a dict of str -> str | int: the challenge `text_prompts`. */
export interface NpyPrompts {
  dtype: 'object';
  shape: [];
  value: PromptDict;
}

interface NpyReadOptions {
  /** Largest element count accepted (default 1e9), checked from the header. */
  maxElements?: number;
  /** Always copy the data out of the input bytes (default: share when aligned and C order). */
  copy?: boolean;
}

interface NpyHeader {
  dtype: NpyDtype | 'object';
  shape: number[];
  fortranOrder: boolean;
  /** Bytes before the data. */
  dataOffset: number;
  /** Element count, and data bytes (-1 for object arrays, whose pickle has no fixed size). */
  count: number;
  dataBytes: number;
}

export const DEFAULT_MAX_ELEMENTS = 1e9;
/** numpy itself refuses headers over 10000 bytes by default; plain arrays need under 200. */
export const MAX_HEADER_BYTES = 65536;
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

type Ctor = { new (buffer: ArrayBufferLike, byteOffset: number, length: number): NpyDataMap[NpyDtype] };
const TYPES: Record<NpyDtype, { kind: string; size: number; ctor: Ctor }> = {
  bool: { kind: 'b', size: 1, ctor: Uint8Array },
  uint8: { kind: 'u', size: 1, ctor: Uint8Array },
  int8: { kind: 'i', size: 1, ctor: Int8Array },
  int16: { kind: 'i', size: 2, ctor: Int16Array },
  uint16: { kind: 'u', size: 2, ctor: Uint16Array },
  int32: { kind: 'i', size: 4, ctor: Int32Array },
  uint32: { kind: 'u', size: 4, ctor: Uint32Array },
  int64: { kind: 'i', size: 8, ctor: BigInt64Array },
  uint64: { kind: 'u', size: 8, ctor: BigUint64Array },
  float32: { kind: 'f', size: 4, ctor: Float32Array },
  float64: { kind: 'f', size: 8, ctor: Float64Array },
};

function dtypeOfDescr(descr: unknown): NpyDtype | 'object' {
  const m = typeof descr === 'string' ? /^([<>|=])([biufO])(\d*)$/.exec(descr) : null;
  if (m && m[2] === 'O') return 'object';
  if (m) {
    const size = Number(m[3]);
    if (m[1] === '>' && size > 1)
      throw new UnsupportedFormatError(`big-endian dtype ${descr} is not supported`);
    for (const [name, t] of Object.entries(TYPES)) {
      if (t.kind === m[2] && t.size === size) return name as NpyDtype;
    }
  }
  throw new UnsupportedFormatError(`npy dtype ${JSON.stringify(descr)} is not supported`);
}

/** Parse the header's Python literal: a dict of str keys to str, bool, None, int and tuples. */
function parseLiteral(text: string): unknown {
  let i = 0;
  const bad = (): never => {
    throw new InvalidInputError(`npy header is not a valid dict literal near "${text.slice(i, i + 20)}"`);
  };
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const value = (depth: number): unknown => {
    ws();
    if (depth > 8) bad();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0 || text.slice(i + 1, end).includes('\\')) bad();
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[' || c === '{') {
      const close = c === '(' ? ')' : c === '[' ? ']' : '}';
      i++;
      const items: unknown[] = [];
      const dict: Record<string, unknown> = Object.create(null);
      for (;;) {
        ws();
        if (text[i] === close) break;
        const v = value(depth + 1);
        if (c === '{') {
          ws();
          if (typeof v !== 'string' || text[i] !== ':') bad();
          i++;
          dict[v as string] = value(depth + 1);
        } else items.push(v);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) bad();
      }
      i++;
      return c === '{' ? dict : items;
    }
    const m = /^(True|False|None|-?\d+L?)/.exec(text.slice(i, i + 24));
    if (!m) return bad();
    i += m[0].length;
    if (m[0] === 'True' || m[0] === 'False') return m[0] === 'True';
    if (m[0] === 'None') return null;
    const digits = m[0].replace('L', '');
    return digits.length > 16 ? Infinity : Number(digits);
  };
  const v = value(0);
  ws();
  if (i !== text.length) bad();
  return v;
}

function elementCount(shape: number[], maxElements: number): number {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new InvalidInputError(`npy shape has an invalid dimension ${d}`);
  }
  if (shape.includes(0)) return 0;
  // Check every partial product, so that no product ever overflows.
  let count = 1;
  for (const d of shape) {
    count *= d;
    if (count > maxElements) {
      throw new InvalidInputError(
        `npy shape (${shape.join(', ')}) holds more than ${maxElements} elements, the configured limit`,
      );
    }
  }
  return count;
}

/** Read and check the header; needs only the first `dataOffset` bytes. */
export function parseNpyHeader(bytes: Uint8Array, options: NpyReadOptions = {}): NpyHeader {
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) {
    throw new InvalidInputError('not an npy file (missing the \\x93NUMPY magic, or truncated)');
  }
  const major = bytes[6];
  if (major < 1 || major > 3 || bytes[7] !== 0) {
    throw new UnsupportedFormatError(`npy format version ${major}.${bytes[7]} is not supported`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw new InvalidInputError('npy header is truncated');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLen > MAX_HEADER_BYTES) {
    throw new InvalidInputError(`npy header declares ${headerLen} bytes, over the limit ${MAX_HEADER_BYTES}`);
  }
  const dataOffset = 8 + lenBytes + headerLen;
  if (bytes.length < dataOffset) throw new InvalidInputError('npy header is truncated');
  const raw = bytes.subarray(8 + lenBytes, dataOffset);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(raw);
  } catch {
    throw new InvalidInputError('npy header is not valid text');
  }
  const header = parseLiteral(text) as Record<string, unknown>;
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new InvalidInputError('npy header is not a dict');
  }
  const keys = Object.keys(header).sort().join(',');
  if (keys !== 'descr,fortran_order,shape') throw new InvalidInputError(`npy header has keys ${keys}`);
  const { descr, fortran_order: fortranOrder, shape } = header;
  if (typeof fortranOrder !== 'boolean') throw new InvalidInputError('npy fortran_order is not a bool');
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number')) {
    throw new InvalidInputError('npy shape is not a tuple of integers');
  }
  const dtype = dtypeOfDescr(descr);
  const count = elementCount(shape as number[], maxElements);
  const dataBytes = dtype === 'object' ? -1 : count * TYPES[dtype].size;
  return { dtype, shape: shape as number[], fortranOrder, dataOffset, count, dataBytes };
}

type Lanes = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;
function lanes(bytes: Uint8Array, size: number): Lanes {
  const { buffer, byteOffset, byteLength } = bytes;
  if (size === 1) return bytes;
  if (size === 2) return new Uint16Array(buffer, byteOffset, byteLength / 2);
  if (size === 4) return new Uint32Array(buffer, byteOffset, byteLength / 4);
  return new BigUint64Array(buffer, byteOffset, byteLength / 8);
}

/** Copy a Fortran-ordered array of `shape` into `out` in C order (same element width). */
function fortranToC<A extends { [i: number]: number | bigint }>(
  src: A,
  out: A,
  shape: number[],
  count: number,
) {
  const n = shape.length;
  const fstride: number[] = [];
  let s = 1;
  for (const d of shape) {
    fstride.push(s);
    s *= d;
  }
  const idx = new Array<number>(n).fill(0);
  const inner = shape[n - 1];
  const step = fstride[n - 1];
  let f = 0;
  for (let c = 0; c < count; c += inner) {
    for (let i = 0, ff = f; i < inner; i++, ff += step) out[c + i] = src[ff];
    for (let k = n - 2; k >= 0; k--) {
      f += fstride[k];
      if (++idx[k] < shape[k]) break;
      f -= fstride[k] * shape[k];
      idx[k] = 0;
    }
  }
}

/** Reorder element bytes between Fortran and C order; `toC` false goes from C to Fortran. */
function reorder(bytes: Uint8Array, shape: number[], size: number, toC: boolean): Uint8Array {
  const count = bytes.length / size;
  const out = new Uint8Array(bytes.length);
  if (shape.length < 2 || count === 0) {
    out.set(bytes);
    return out;
  }
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  fortranToC(lanes(aligned, size), lanes(out, size), toC ? shape : [...shape].reverse(), count);
  return out;
}

/** Read an `.npy` file. Numeric data shares the input's memory when aligned, C order and `copy` is unset. */
export function readNpy(bytes: Uint8Array, options: NpyReadOptions = {}): NpyArray | NpyPrompts {
  const h = parseNpyHeader(bytes, options);
  const body = bytes.subarray(h.dataOffset);
  if (h.dtype === 'object') {
    if (h.shape.length !== 0) {
      throw new UnsupportedFormatError(`object arrays of shape (${h.shape.join(', ')}) are not supported`);
    }
    return { dtype: 'object', shape: [], value: readPickledPrompts(body) };
  }
  if (body.length !== h.dataBytes) {
    throw new InvalidInputError(
      body.length < h.dataBytes
        ? `npy data is truncated: the header declares ${h.dataBytes} bytes, ${body.length} are present`
        : `npy data has ${body.length - h.dataBytes} bytes past the declared ${h.dataBytes}`,
    );
  }
  const t = TYPES[h.dtype];
  let data = body;
  if (h.fortranOrder) data = reorder(body, h.shape, t.size, true);
  else if (options.copy || body.byteOffset % t.size !== 0) data = new Uint8Array(body); // Buffer#slice would not copy
  return {
    dtype: h.dtype,
    shape: h.shape,
    data: new t.ctor(data.buffer, data.byteOffset, h.count),
    fortranOrder: h.fortranOrder,
  } as NpyArray;
}

function headerBytes(descr: string, fortranOrder: boolean, shape: number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '${descr}', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': (${dims}), }`;
  const padded = (pre: number) => Math.ceil((pre + dict.length + 1) / 64) * 64;
  const [major, pre] = padded(10) - 10 > 65535 ? [2, 12] : [1, 10];
  const total = padded(pre);
  const out = Buffer.alloc(total, 0x20);
  out.set(MAGIC);
  out[6] = major;
  out[7] = 0;
  if (major === 1) out.writeUInt16LE(total - pre, 8);
  else out.writeUInt32LE(total - pre, 8);
  out.write(dict, pre, 'latin1');
  out[total - 1] = 0x0a;
  return out;
}

/** Check an array's data matches its dtype and shape; returns its element count. */
function checkArray(a: NpyArray): number {
  const t = TYPES[a.dtype];
  if (!t) throw new InvalidInputError(`unknown dtype ${String(a.dtype)}`);
  if (!(a.data instanceof t.ctor))
    throw new InvalidInputError(`data of a ${a.dtype} array has the wrong type`);
  const count = elementCount(a.shape, Number.MAX_SAFE_INTEGER);
  if (a.data.length !== count) {
    throw new InvalidInputError(
      `array of shape (${a.shape.join(', ')}) needs ${count} elements, has ${a.data.length}`,
    );
  }
  return count;
}

/** Serialise an array (or text prompts) as an `.npy` file (version 1.0, or 2.0 for huge headers). */
export function writeNpy(a: NpyArray | NpyPrompts): Uint8Array {
  if (a.dtype === 'object') {
    const pickle = writePickledPrompts(a.value);
    return Buffer.concat([headerBytes('|O', false, []), pickle]);
  }
  checkArray(a);
  const t = TYPES[a.dtype];
  const descr = `${t.size === 1 ? '|' : '<'}${t.kind}${t.size}`;
  let data = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  if (a.fortranOrder) data = reorder(data, a.shape, t.size, false);
  return Buffer.concat([headerBytes(descr, a.fortranOrder, a.shape), data]);
}

/** Plain numbers of any numeric array (64-bit integers beyond 2^53 lose precision). */
export function toNumbers(a: NpyArray): number[] {
  return Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
}
