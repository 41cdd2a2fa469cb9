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
import { type NpyArray, type NpyDtype, readNpy, writeNpy } from '../../functions/lib/image/npz/index.js';

/** The typed arrays exchanged with python (stored little-endian, C order). */
export type NpyData =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

const DTYPES: [new (...args: never[]) => NpyData, NpyDtype][] = [
  [Uint8Array, 'uint8'],
  [Int8Array, 'int8'],
  [Uint16Array, 'uint16'],
  [Int16Array, 'int16'],
  [Uint32Array, 'uint32'],
  [Int32Array, 'int32'],
  [Float32Array, 'float32'],
  [Float64Array, 'float64'],
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

/** The bytes of a .npy file holding `data` as `shape` (the project's own writer). */
export function encodeNpy(data: NpyData, shape: readonly number[]): Uint8Array {
  const entry = DTYPES.find(([ctor]) => data instanceof ctor);
  if (!entry) throw new TypeError('encodeNpy: unsupported array type');
  return writeNpy({ dtype: entry[1], shape: [...shape], data, fortranOrder: false } as NpyArray);
}

/** A numeric .npy file written by numpy, read with the project's own reader (copied out). */
export function decodeNpy(bytes: Uint8Array): { data: NpyData; shape: number[] } {
  const array = readNpy(bytes, { copy: true });
  if (
    array.dtype === 'object' ||
    array.dtype === 'bool' ||
    array.dtype === 'int64' ||
    array.dtype === 'uint64'
  ) {
    throw new Error(`decodeNpy: unexpected dtype ${array.dtype} from python`);
  }
  return { data: array.data as NpyData, shape: array.shape };
}

/** Runs `script` with `args`; returns its stdout, throws with its stderr on failure. */
export function runScript(python: string, script: string, args: string[] = [], timeoutMs = 60_000): string {
  const r = spawnSync(python, ['-c', script, ...args], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface PythonRun<T> {
  /** The JSON the script printed as its last line of stdout. */
  json: T;
  /** The .npy files the script wrote into its folder (sys.argv[1]), by file name without .npy. */
  arrays: Record<string, { data: NpyData; shape: number[] }>;
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
  inputs: Record<string, { data: NpyData; shape: readonly number[] }> = {},
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
