/**
 * The zip subset `.npz` files use, on node:zlib: entries stored (method 0) or deflated (8), the
 * central directory, ZIP64 extra fields and end records (numpy writes ZIP64 local headers for
 * every entry, with sizes in the extra field or, on unseekable output, in a data descriptor).
 * The central directory is the authority for sizes. Every declared size and offset is checked
 * before anything is inflated, inflation stops at the declared size, and CRC-32 is verified.
 */
import { constants, crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { InvalidInputError, UnsupportedFormatError } from '../../core/errors.js';

export interface ZipEntry {
  name: string;
  method: 0 | 8;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  dataOffset: number;
}

interface ZipReadOptions {
  /** Most entries accepted (default 10000). */
  maxEntries?: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const SIG_END64 = 0x06064b50;
const SIG_LOCATOR64 = 0x07064b50;
const U32 = 0xffffffff;

const invalid = (m: string) => new InvalidInputError(`zip: ${m}`);

function reader(bytes: Uint8Array) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const check = (at: number, n: number) => {
    if (at < 0 || at + n > bytes.length)
      throw invalid('structure runs past the end of the file (truncated?)');
  };
  return {
    u16: (at: number) => (check(at, 2), view.getUint16(at, true)),
    u32: (at: number) => (check(at, 4), view.getUint32(at, true)),
    u64: (at: number) => {
      check(at, 8);
      const v = view.getBigUint64(at, true);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('a 64-bit size or offset is absurd');
      return Number(v);
    },
  };
}

/** Values of the ZIP64 extra field (id 1) for the fields that hold 0xFFFFFFFF, in spec order. */
function zip64Extra(
  bytes: Uint8Array,
  at: number,
  length: number,
  wanted: boolean[],
): (number | undefined)[] {
  const r = reader(bytes);
  const out: (number | undefined)[] = wanted.map(() => undefined);
  for (let p = at; p + 4 <= at + length;) {
    const id = r.u16(p);
    const size = r.u16(p + 2);
    if (p + 4 + size > at + length) throw invalid('an extra field runs past its header');
    if (id === 1) {
      let q = p + 4;
      for (let k = 0; k < wanted.length; k++) {
        if (!wanted[k]) continue;
        if (q + 8 > p + 4 + size) break;
        out[k] = r.u64(q);
        q += 8;
      }
    }
    p += 4 + size;
  }
  return out;
}

/** Parse and check the directory of a zip file; nothing is inflated. */
export function listZip(bytes: Uint8Array, options: ZipReadOptions = {}): ZipEntry[] {
  const maxEntries = options.maxEntries ?? 10_000;
  const r = reader(bytes);
  let end = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 0xffff); p--) {
    if (r.u32(p) === SIG_END && p + 22 + r.u16(p + 20) === bytes.length) {
      end = p;
      break;
    }
  }
  if (end < 0) throw invalid('no end of central directory record (not a zip file, or truncated)');
  if (r.u16(end + 4) !== 0 || r.u16(end + 6) !== 0) throw new UnsupportedFormatError('multi-disk zip files');
  let count = r.u16(end + 10);
  let cdSize = r.u32(end + 12);
  let cdOffset = r.u32(end + 16);
  let cdLimit = end;
  if (end >= 20 && r.u32(end - 20) === SIG_LOCATOR64) {
    const at = r.u64(end - 12);
    if (at + 56 > end - 20 || r.u32(at) !== SIG_END64) throw invalid('bad ZIP64 end of central directory');
    count = r.u64(at + 32);
    cdSize = r.u64(at + 40);
    cdOffset = r.u64(at + 48);
    cdLimit = at;
  }
  if (count > maxEntries) throw invalid(`${count} entries, over the limit ${maxEntries}`);
  if (cdOffset + cdSize > cdLimit || count * 46 > cdSize) throw invalid('central directory out of range');

  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  for (let i = 0, p = cdOffset; i < count; i++) {
    if (r.u32(p) !== SIG_CENTRAL) throw invalid(`central directory entry ${i} is corrupt`);
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    const nameLen = r.u16(p + 28);
    const extraLen = r.u16(p + 30);
    const next = p + 46 + nameLen + extraLen + r.u16(p + 32);
    if (next > cdOffset + cdSize) throw invalid('central directory entry runs past the directory');
    const name = Buffer.from(bytes.subarray(p + 46, p + 46 + nameLen)).toString(
      flags & 0x800 ? 'utf8' : 'latin1',
    );
    if (flags & 0x41) throw new UnsupportedFormatError(`zip entry ${name} is encrypted`);
    if (method !== 0 && method !== 8) {
      throw new UnsupportedFormatError(
        `zip entry ${name} uses compression method ${method}; only stored and deflate`,
      );
    }
    const raw = [r.u32(p + 24), r.u32(p + 20), r.u32(p + 42), r.u16(p + 34)];
    const wide = zip64Extra(bytes, p + 46 + nameLen, extraLen, [
      raw[0] === U32,
      raw[1] === U32,
      raw[2] === U32,
    ]);
    const [usize, csize, offset] = raw.map((v, k) => (k < 3 && v === U32 ? wide[k] : v));
    if (usize === undefined || csize === undefined || offset === undefined) {
      throw invalid(`entry ${name} lacks its ZIP64 sizes`);
    }
    if (raw[3] !== 0 && raw[3] !== 0xffff) throw new UnsupportedFormatError('multi-disk zip files');
    if (names.has(name)) throw invalid(`entry ${name} appears twice`);
    names.add(name);
    if (method === 0 && csize !== usize) throw invalid(`stored entry ${name} has different sizes`);

    // The local header: same name and method, and sizes (when given) that agree.
    if (r.u32(offset) !== SIG_LOCAL) throw invalid(`entry ${name} has no local header at ${offset}`);
    const lFlags = r.u16(offset + 6);
    const lName = r.u16(offset + 26);
    const lExtra = r.u16(offset + 28);
    const dataOffset = offset + 30 + lName + lExtra;
    const same = Buffer.from(bytes.subarray(offset + 30, offset + 30 + lName)).equals(
      bytes.subarray(p + 46, p + 46 + nameLen),
    );
    if (!same || r.u16(offset + 8) !== method || (lFlags & 0x41) !== 0) {
      throw invalid(`local header of ${name} disagrees with the central directory`);
    }
    const lRaw = [r.u32(offset + 22), r.u32(offset + 18)];
    const lWide = zip64Extra(bytes, offset + 30 + lName, lExtra, [lRaw[0] === U32, lRaw[1] === U32]);
    for (const [k, v] of lRaw.entries()) {
      const local = v === U32 ? lWide[k] : v;
      if (local && local !== [usize, csize][k]) throw invalid(`local header of ${name} declares other sizes`);
    }
    if (dataOffset + csize > cdOffset) throw invalid(`data of ${name} runs past the central directory`);
    entries.push({
      name,
      method,
      crc32: r.u32(p + 16),
      compressedSize: csize,
      uncompressedSize: usize,
      localHeaderOffset: offset,
      dataOffset,
    });
    p = next;
  }
  const spans = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].localHeaderOffset < spans[i - 1].dataOffset + spans[i - 1].compressedSize) {
      throw invalid(`entries ${spans[i - 1].name} and ${spans[i].name} overlap`);
    }
  }
  return entries;
}

function isTooLarge(e: unknown): boolean {
  return e instanceof RangeError || (e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
}

/** An entry's bytes, CRC checked; refuses before inflating when it declares more than `maxBytes`. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, maxBytes: number): Uint8Array {
  const { name, uncompressedSize: size } = entry;
  if (size > maxBytes) throw invalid(`entry ${name} declares ${size} bytes, over the limit ${maxBytes}`);
  const comp = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let out: Uint8Array = comp;
  if (entry.method === 8) {
    try {
      out = inflateRawSync(comp, { maxOutputLength: Math.max(1, size) });
    } catch (e) {
      if (isTooLarge(e)) throw invalid(`entry ${name} inflates past its declared ${size} bytes`);
      throw invalid(`entry ${name} has corrupt deflate data (${(e as Error).message})`);
    }
  }
  if (out.length !== size) throw invalid(`entry ${name} holds ${out.length} bytes, its header says ${size}`);
  if (crc32(out) !== entry.crc32) throw invalid(`entry ${name} fails its CRC-32 check`);
  return out;
}

/**
 * The first `want` bytes (fewer if the entry is shorter) of an entry, inflating only a prefix and
 * never holding more than `want` + 1 MiB of output; no CRC check.
 */
export function peekZipEntry(bytes: Uint8Array, entry: ZipEntry, want: number): Uint8Array {
  const comp = bytes.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  want = Math.min(want, entry.uncompressedSize);
  if (entry.method === 0) return comp.subarray(0, want);
  const cap = want + (1 << 20);
  let lo = 0;
  let hi = comp.length + 1;
  let k = Math.min(comp.length, 4096);
  for (let tries = 0; tries < 80; tries++) {
    let out: Buffer | undefined;
    try {
      out = inflateRawSync(comp.subarray(0, k), {
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: cap,
      });
    } catch (e) {
      if (!isTooLarge(e))
        throw invalid(`entry ${entry.name} has corrupt deflate data (${(e as Error).message})`);
    }
    if (out && (out.length >= want || k === comp.length)) return out.subarray(0, want);
    if (out) lo = k;
    else hi = k;
    const next = hi > comp.length ? Math.min(comp.length, k * 2) : Math.floor((lo + hi) / 2);
    if (next <= lo || next >= hi) break;
    k = next;
  }
  throw invalid(`entry ${entry.name}: cannot inflate its first ${want} bytes within bounds`);
}

interface ZipWriteOptions {
  /** Deflate entries (default true), as `np.savez_compressed`; false stores them, as `np.savez`. */
  compress?: boolean;
  level?: number;
  /** ZIP64 extra fields and end records even for small files (they are used anyway when needed). */
  forceZip64?: boolean;
}

/** A zip file of the given entries; fixed timestamps (1980-01-01) so output is reproducible. */
export function writeZip(files: { name: string; data: Uint8Array }[], options: ZipWriteOptions = {}): Buffer {
  const { compress = true, level = 6, forceZip64 = false } = options;
  const parts: Uint8Array[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const data = compress ? deflateRawSync(f.data, { level }) : f.data;
    const crc = crc32(f.data);
    const z64 = forceZip64 || f.data.length >= U32 || data.length >= U32 || offset >= U32;
    const flags = /^[\x20-\x7e]*$/.test(f.name) ? 0 : 0x800;
    const head = Buffer.alloc(30 + name.length + (z64 ? 20 : 0));
    head.writeUInt32LE(SIG_LOCAL, 0);
    head.writeUInt16LE(z64 ? 45 : 20, 4);
    head.writeUInt16LE(flags, 6);
    head.writeUInt16LE(compress ? 8 : 0, 8);
    head.writeUInt16LE(0x21, 12);
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(z64 ? U32 : data.length, 18);
    head.writeUInt32LE(z64 ? U32 : f.data.length, 22);
    head.writeUInt16LE(name.length, 26);
    head.writeUInt16LE(z64 ? 20 : 0, 28);
    name.copy(head, 30);
    if (z64) {
      head.writeUInt16LE(1, 30 + name.length);
      head.writeUInt16LE(16, 32 + name.length);
      head.writeBigUInt64LE(BigInt(f.data.length), 34 + name.length);
      head.writeBigUInt64LE(BigInt(data.length), 42 + name.length);
    }
    const cen = Buffer.alloc(46 + name.length + (z64 ? 28 : 0));
    cen.writeUInt32LE(SIG_CENTRAL, 0);
    cen.writeUInt16LE(z64 ? 0x32d : 0x314, 4);
    head.copy(cen, 6, 4, 30);
    cen.writeUInt16LE(z64 ? 28 : 0, 30);
    cen.writeUInt32LE(0o100644 * 0x10000, 38);
    cen.writeUInt32LE(z64 ? U32 : offset, 42);
    name.copy(cen, 46);
    if (z64) {
      const x = 46 + name.length;
      cen.writeUInt16LE(1, x);
      cen.writeUInt16LE(24, x + 2);
      cen.writeBigUInt64LE(BigInt(f.data.length), x + 4);
      cen.writeBigUInt64LE(BigInt(data.length), x + 12);
      cen.writeBigUInt64LE(BigInt(offset), x + 20);
    }
    central.push(cen);
    parts.push(head, data);
    offset += head.length + data.length;
  }
  const cd = Buffer.concat(central);
  const z64 = forceZip64 || offset >= U32 || cd.length >= U32 || files.length >= 0xffff;
  parts.push(cd);
  if (z64) {
    const e = Buffer.alloc(76);
    e.writeUInt32LE(SIG_END64, 0);
    e.writeBigUInt64LE(44n, 4);
    e.writeUInt16LE(0x32d, 12);
    e.writeUInt16LE(45, 14);
    e.writeBigUInt64LE(BigInt(files.length), 24);
    e.writeBigUInt64LE(BigInt(files.length), 32);
    e.writeBigUInt64LE(BigInt(cd.length), 40);
    e.writeBigUInt64LE(BigInt(offset), 48);
    e.writeUInt32LE(SIG_LOCATOR64, 56);
    e.writeBigUInt64LE(BigInt(offset + cd.length), 64);
    e.writeUInt32LE(1, 72);
    parts.push(e);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(SIG_END, 0);
  end.writeUInt16LE(z64 ? 0xffff : files.length, 8);
  end.writeUInt16LE(z64 ? 0xffff : files.length, 10);
  end.writeUInt32LE(z64 ? U32 : cd.length, 12);
  end.writeUInt32LE(z64 ? U32 : offset, 16);
  parts.push(end);
  return Buffer.concat(parts);
}
