/** NRRD and MetaImage headers: both are text key/value lines in front of the voxel data. */
import { InvalidInputError, UnsupportedFormatError } from '../../core/errors.js';
import type { DataEncoding, ImageHeader } from './header.js';

const MAX_TEXT_HEADER = 64 * 1024;

const NRRD_TYPES: Array<[RegExp, string, number]> = [
  [/^(signed char|int8|int8_t)$/, 'int8', 1],
  [/^(uchar|unsigned char|uint8|uint8_t)$/, 'uint8', 1],
  [/^(short|short int|signed short|signed short int|int16|int16_t)$/, 'int16', 2],
  [/^(ushort|unsigned short|unsigned short int|uint16|uint16_t)$/, 'uint16', 2],
  [/^(int|signed int|int32|int32_t)$/, 'int32', 4],
  [/^(uint|unsigned int|uint32|uint32_t)$/, 'uint32', 4],
  [/^(longlong|long long|long long int|signed long long|signed long long int|int64|int64_t)$/, 'int64', 8],
  [/^(ulonglong|unsigned long long|unsigned long long int|uint64|uint64_t)$/, 'uint64', 8],
  [/^float$/, 'float32', 4],
  [/^double$/, 'float64', 8],
];

const META_TYPES: Record<string, [string, number]> = {
  MET_CHAR: ['int8', 1],
  MET_UCHAR: ['uint8', 1],
  MET_SHORT: ['int16', 2],
  MET_USHORT: ['uint16', 2],
  MET_INT: ['int32', 4],
  MET_UINT: ['uint32', 4],
  MET_LONG: ['int32', 4],
  MET_ULONG: ['uint32', 4],
  MET_LONG_LONG: ['int64', 8],
  MET_ULONG_LONG: ['uint64', 8],
  MET_FLOAT: ['float32', 4],
  MET_DOUBLE: ['float64', 8],
};

function positiveInts(text: string, what: string, name: string): number[] {
  const values = text.trim().split(/\s+/).map(Number);
  if (values.length === 0 || values.some((v) => !Number.isSafeInteger(v) || v < 1)) {
    throw new InvalidInputError(`${name} declares ${what} '${text.trim()}'; they must be positive integers`);
  }
  return values;
}

/** Text up to the first blank line (NRRD) and its byte length including the blank line. */
function headerText(bytes: Uint8Array, name: string): { lines: string[]; end: number } {
  const limit = Math.min(bytes.length, MAX_TEXT_HEADER);
  for (let i = 0; i < limit - 1; i++) {
    if (bytes[i] === 10 && bytes[i + 1] === 10) {
      return { lines: Buffer.from(bytes.subarray(0, i)).toString('latin1').split('\n'), end: i + 2 };
    }
    if (bytes[i] === 10 && bytes[i + 1] === 13 && bytes[i + 2] === 10) {
      return { lines: Buffer.from(bytes.subarray(0, i)).toString('latin1').split(/\r?\n/), end: i + 3 };
    }
  }
  // A detached header (.nhdr) may end without a blank line.
  if (bytes.length < MAX_TEXT_HEADER) {
    return { lines: Buffer.from(bytes).toString('latin1').split(/\r?\n/), end: bytes.length };
  }
  throw new InvalidInputError(
    `${name}: no end of the NRRD header in its first ${MAX_TEXT_HEADER} bytes (corrupt?)`,
  );
}

export function parseNrrdHeader(bytes: Uint8Array, name: string): ImageHeader {
  const { lines, end } = headerText(bytes, name);
  if (!/^NRRD000[1-5]/.test(lines[0] ?? ''))
    throw new InvalidInputError(`${name} does not start with an NRRD magic`);
  const fields = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line.startsWith('#') || !line.includes(':')) continue;
    const at = line.indexOf(':');
    fields.set(
      line.slice(0, at).trim().toLowerCase(),
      line
        .slice(at + 1)
        .replace(/^=/, '')
        .trim(),
    );
  }
  const need = (key: string) => {
    const v = fields.get(key);
    if (v === undefined) throw new InvalidInputError(`${name}: the NRRD header has no '${key}' field`);
    return v;
  };
  const type = need('type').toLowerCase();
  const match = NRRD_TYPES.find(([re]) => re.test(type));
  if (!match) throw new UnsupportedFormatError(`${name}: NRRD type '${type}' is not supported`);
  const sizes = positiveInts(need('sizes'), 'sizes', name);
  const dimension = Number(need('dimension'));
  if (dimension !== sizes.length) {
    throw new InvalidInputError(`${name}: NRRD dimension ${dimension} does not match ${sizes.length} sizes`);
  }
  // Axes whose space direction is "none" are not spatial (vector components, time).
  const directions = fields.get('space directions')?.match(/\([^)]*\)|none/g) ?? [];
  const spatial = sizes.map((_, i) => directions.length === 0 || directions[i] !== 'none');
  let components = 1;
  if (!spatial[0] && sizes.length > 1) components = sizes[0];
  const dims = sizes.filter((_, i) => spatial[i] || (i > 0 && sizes[i] > 1));
  let spacing: number[];
  if (directions.length > 0) {
    spacing = directions
      .filter((d) => d !== 'none')
      .map((d) => Math.hypot(...d.slice(1, -1).split(',').map(Number)));
  } else {
    spacing = (fields.get('spacings') ?? '').split(/\s+/).filter(Boolean).map(Number);
  }
  const encodingName = need('encoding').toLowerCase();
  const encoding: DataEncoding =
    encodingName === 'raw'
      ? 'raw'
      : encodingName === 'gzip' || encodingName === 'gz'
        ? 'gzip'
        : 'unsupported';
  if (encodingName !== 'raw' && encoding === 'unsupported' && !/^(txt|text|ascii)$/.test(encodingName)) {
    throw new UnsupportedFormatError(
      `${name}: NRRD encoding '${encodingName}' is not supported (use raw or gzip)`,
    );
  }
  const dataFile = fields.get('data file') ?? fields.get('datafile');
  return {
    format: 'nrrd',
    dims,
    spacing: spacing.slice(0, 3),
    elementType: match[1],
    bytesPerElement: match[2],
    components,
    encoding,
    dataOffset: end,
    ...(dataFile ? { dataFile } : {}),
  };
}

export function parseMetaImageHeader(bytes: Uint8Array, name: string): ImageHeader {
  const text = Buffer.from(bytes.subarray(0, Math.min(bytes.length, MAX_TEXT_HEADER))).toString('latin1');
  const fields = new Map<string, string>();
  let offset = -1;
  let position = 0;
  for (const line of text.split('\n')) {
    position += line.length + 1;
    const at = line.indexOf('=');
    if (at < 0) continue;
    const key = line.slice(0, at).trim().toLowerCase();
    fields.set(key, line.slice(at + 1).trim());
    if (key === 'elementdatafile') {
      offset = position;
      break;
    }
  }
  if (offset < 0)
    throw new InvalidInputError(`${name}: no ElementDataFile line in the MetaImage header (corrupt?)`);
  const need = (key: string) => {
    const v = fields.get(key.toLowerCase());
    if (v === undefined) throw new InvalidInputError(`${name}: the MetaImage header has no '${key}' field`);
    return v;
  };
  const type = META_TYPES[need('ElementType')];
  if (!type)
    throw new UnsupportedFormatError(
      `${name}: MetaImage ElementType '${need('ElementType')}' is not supported`,
    );
  const dims = positiveInts(need('DimSize'), 'DimSize', name);
  const spacingText = fields.get('elementspacing') ?? fields.get('elementsize') ?? '';
  const compressed = /^true$/i.test(fields.get('compresseddata') ?? 'false');
  const dataFile = fields.get('elementdatafile') ?? 'LOCAL';
  const components = Number(fields.get('elementnumberofchannels') ?? '1');
  return {
    format: 'metaimage',
    dims,
    spacing: spacingText.split(/\s+/).filter(Boolean).map(Number).slice(0, 3),
    elementType: type[0],
    bytesPerElement: type[1],
    components: Number.isInteger(components) && components > 0 ? components : 1,
    encoding: compressed ? 'zlib' : 'raw',
    dataOffset: offset,
    ...(dataFile.toUpperCase() === 'LOCAL' ? {} : { dataFile }),
  };
}
