/**
 * Hand-made npy and npz bytes for the readers' refusal tests: headers that declare what the data
 * is not (sizes, CRC), written field by field.
 */

/** An npy header (version 1.0) for a hand-made file: magic, version, length, `dict` padded to 64 bytes. */
export function npyHeader(dict: string): Buffer {
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const out = Buffer.alloc(total, 0x20);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(out);
  out.writeUInt16LE(total - 10, 8);
  out.write(dict, 10, 'latin1');
  out[total - 1] = 0x0a;
  return out;
}

/**
 * The parts of a zip archive holding one deflated entry (no extra fields, no ZIP64), in file
 * order: local header, name, `compressed`, central directory record, name, end record. The CRC-32
 * and the uncompressed size are written as given, so a test can declare what the data is not.
 * Buffer.concat them, or write them one after another to a stream.
 */
export function oneEntryZipParts(
  name: string,
  compressed: Uint8Array,
  entry: { crc32: number; uncompressedSize: number },
): Buffer[] {
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(8, 8); // deflated
  local.writeUInt32LE(entry.crc32 >>> 0, 14);
  local.writeUInt32LE(compressed.length, 18);
  local.writeUInt32LE(entry.uncompressedSize, 22);
  local.writeUInt16LE(n.length, 26);
  // The central record repeats the local header's fields from "version needed" on, after its
  // own "version made by".
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  local.copy(central, 6, 4, 30);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + n.length, 12);
  end.writeUInt32LE(local.length + n.length + compressed.length, 16);
  return [
    local,
    n,
    Buffer.from(compressed.buffer, compressed.byteOffset, compressed.byteLength),
    central,
    n,
    end,
  ];
}
