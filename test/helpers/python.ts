/**
 * Running a scientific python3 from tests: finding one with the modules a test needs, and
 * exchanging arrays with it as .npy files in a temporary folder.
 *
 * Volumes here are x-fastest ([X, Y, Z], index x + X * (y + Y * z)); the same bytes are a
 * C-order numpy array of shape (Z, Y, X), which is what writeNpy is given for a volume.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type NpyArray =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

const DESCR: [string, new (buffer: ArrayBuffer, byteOffset: number, length: number) => NpyArray, number][] = [
  ['|u1', Uint8Array, 1],
  ['|i1', Int8Array, 1],
  ['<u2', Uint16Array, 2],
  ['<i2', Int16Array, 2],
  ['<u4', Uint32Array, 4],
  ['<i4', Int32Array, 4],
  ['<f4', Float32Array, 4],
  ['<f8', Float64Array, 8],
];

const found = new Map<string, string | null>();

/**
 * A python that imports every module in `modules`: $MEDALS_PYTHON, then `python3` on the PATH,
 * then /usr/bin/python3 (the first that works). null when none does. Cached per module list.
 */
export function findPython(modules: readonly string[] = ['numpy', 'scipy.ndimage']): string | null {
  const key = modules.join(',');
  if (found.has(key)) return found.get(key)!;
  const candidates = [process.env.MEDALS_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (c): c is string => typeof c === 'string' && c.length > 0,
  );
  let result: string | null = null;
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', modules.map((m) => `import ${m}`).join('; ')], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (probe.status === 0) {
      result = candidate;
      break;
    }
  }
  found.set(key, result);
  return result;
}

/** The bytes of a .npy file (format 1.0, little-endian, C order) holding `data` as `shape`. */
export function encodeNpy(data: NpyArray, shape: readonly number[]): Buffer {
  const entry = DESCR.find(([, ctor]) => data instanceof ctor);
  if (!entry) throw new TypeError('encodeNpy: unsupported array type');
  if (shape.reduce((a, b) => a * b, 1) !== data.length)
    throw new RangeError('encodeNpy: shape does not match');
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${entry[0]}', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + header length (2) + header + '\n' is padded to a multiple of 64.
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const preamble = Buffer.alloc(10);
  preamble.write('\x93NUMPY', 0, 'latin1');
  preamble[6] = 1;
  preamble[7] = 0;
  preamble.writeUInt16LE(header.length, 8);
  return Buffer.concat([
    preamble,
    Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  ]);
}

/** Parses a .npy file written by numpy (version 1-3, little-endian, C order). */
export function decodeNpy(bytes: Buffer): { data: NpyArray; shape: number[] } {
  if (bytes.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error('decodeNpy: not a .npy file');
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  if (/'fortran_order':\s*True/.test(header)) throw new Error('decodeNpy: Fortran order is not supported');
  const entry = DESCR.find(([d]) => d === descr || (d[0] === '|' && `<${d.slice(1)}` === descr));
  if (!entry) throw new Error(`decodeNpy: unsupported dtype ${descr}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const length = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  const copy = new ArrayBuffer(length * entry[2]);
  new Uint8Array(copy).set(bytes.subarray(offset, offset + length * entry[2]));
  return { data: new entry[1](copy, 0, length), shape };
}

export interface PythonRun<T> {
  /** The JSON the script printed as its last line of stdout. */
  json: T;
  /** The .npy files the script wrote into its folder (sys.argv[1]), by file name without .npy. */
  arrays: Record<string, { data: NpyArray; shape: number[] }>;
}

/**
 * Runs `script` with `python` in a fresh temporary folder (sys.argv[1]) that holds each entry
 * of `inputs` as <name>.npy, and returns the JSON the script prints last plus any .npy files
 * it wrote there as out_<name>.npy (returned under <name>). The folder is then removed.
 * Throws with the script's stderr when it fails.
 */
export function runPython<T = unknown>(
  python: string,
  script: string,
  inputs: Record<string, { data: NpyArray; shape: readonly number[] }> = {},
  timeoutMs = 120_000,
): PythonRun<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'medals-py-'));
  try {
    for (const [name, { data, shape }] of Object.entries(inputs)) {
      writeFileSync(path.join(dir, `${name}.npy`), encodeNpy(data, shape));
    }
    const run = spawnSync(python, ['-c', script, dir], {
      encoding: 'utf8',
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) {
      throw new Error(
        `python failed (status ${run.status}, ${run.error?.message ?? 'no spawn error'}):\n${run.stderr}`,
      );
    }
    const lines = run.stdout.trim().split('\n');
    const json = JSON.parse(lines[lines.length - 1]) as T;
    const arrays: PythonRun<T>['arrays'] = {};
    for (const name of readdirNpy(dir)) {
      arrays[name.slice(4, -4)] = decodeNpy(readFileSync(path.join(dir, name)));
    }
    return { json, arrays };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readdirNpy(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('out_') && f.endsWith('.npy'));
}
