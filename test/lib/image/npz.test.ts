import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMedalsError } from '../../../functions/lib/core/errors.js';
import {
  arrayToVolume,
  listZip,
  readChallengeNpz,
  readNpy,
  readNpz,
  readPickledPrompts,
  volumeToArray,
  writeChallengeNpz,
  writeNpy,
  writeNpz,
  writePickledPrompts,
  writeZip,
  type NpyArray,
  type NpyDtype,
  type NpzValue,
} from '../../../functions/lib/image/npz/index.js';
import { Volume } from '../../../functions/lib/geometry/volume.js';
import { geometry } from '../../helpers/geometry.js';
import { findPython, runScript } from '../../helpers/python.js';

const numpyPython = () => findPython(['numpy']);
const runNumpy = (script: string, args: string[]) => runScript(numpyPython()!, script, args);
import { npyHeader, oneEntryZipParts } from '../../helpers/npz-bytes.js';
import { tempDir } from '../../helpers/tmp.js';

const FIXTURES = path.join(import.meta.dirname, '../../fixtures/npz');
const fixture = (name: string) => new Uint8Array(readFileSync(path.join(FIXTURES, name)));
interface Flat {
  dtype: string;
  shape: number[];
  data: (number | string | boolean)[];
}
const expected = JSON.parse(readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as {
  prompts: Record<string, string | number>;
  case: Record<'imgs' | 'gts' | 'spacing', Flat>;
  dtypes: Record<string, Flat>;
  fortran: Flat;
};

/** An array's values as JSON-comparable plain values (64-bit integers as strings, bools as booleans). */
function plain(a: NpzValue): Flat {
  if (a.dtype === 'object') throw new Error('object array');
  const data = Array.from(a.data as ArrayLike<number | bigint>, (v) =>
    typeof v === 'bigint' ? String(v) : a.dtype === 'bool' ? v === 1 : v,
  );
  return { dtype: a.dtype, shape: a.shape, data };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isMedalsError(e)) return e.code;
    throw e;
  }
  return 'OK';
}

function expectRefused(fn: () => unknown, code: 'INVALID_INPUT' | 'UNSUPPORTED_FORMAT', message?: RegExp) {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(isMedalsError(error), String(error)).toBe(true);
  expect((error as Error).name).toBe(code);
  if (message) expect((error as Error).message).toMatch(message);
}

const objectNpy = (pickle: Uint8Array) =>
  Buffer.concat([npyHeader("{'descr': '|O', 'fortran_order': False, 'shape': (), }"), pickle]);

/** Set the uncompressed size of the single entry of a forceZip64 zip (local and central). */
function patchUsize(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  const nameLen = out.readUInt16LE(26);
  out.writeBigUInt64LE(BigInt(size), 30 + nameLen + 4);
  const cen = out.indexOf(Buffer.from([0x50, 0x4b, 1, 2]));
  out.writeBigUInt64LE(BigInt(size), cen + 46 + nameLen + 4);
  return out;
}

/** A zip of one deflated entry with the declared uncompressed size given (CRC left 0). */
const oneEntryZip = (name: string, compressed: Uint8Array, usize: number): Buffer =>
  Buffer.concat(oneEntryZipParts(name, compressed, { crc32: 0, uncompressedSize: usize }));

const PROMPTS = {
  '1': 'liver',
  '2': 'Right kidney in CT',
  instance_label: 0,
  big: 2 ** 40,
  neg: -7,
  flag: true,
};

describe('npz: fixtures written by numpy', () => {
  for (const name of ['challenge_stored.npz', 'challenge_compressed.npz', 'descriptor.npz']) {
    it(`reads ${name} as a challenge case`, () => {
      const c = readChallengeNpz(fixture(name));
      expect(plain(c.imgs)).toEqual(expected.case.imgs);
      expect(c.spacing).toEqual(expected.case.spacing.data);
      expect(c.textPrompts).toEqual(expected.prompts);
      if (name !== 'descriptor.npz') expect(plain(c.gts!)).toEqual(expected.case.gts);
    });
  }

  it('sees stored and deflated entries with ZIP64 local extras', () => {
    expect(listZip(fixture('challenge_stored.npz')).map((e) => e.method)).toEqual([0, 0, 0, 0]);
    expect(listZip(fixture('challenge_compressed.npz')).map((e) => e.method)).toEqual([8, 8, 8, 8]);
  });

  it('reads ZIP64 central-directory fields and end records', () => {
    const npz = readNpz(fixture('zip64_central.npz'));
    expect([...npz.keys()]).toEqual(['imgs', 'spacing']);
    expect(plain(npz.get('imgs')!)).toEqual(expected.case.imgs);
  });

  it('reads every dtype, rank and order of dtypes.npz', () => {
    const npz = readNpz(fixture('dtypes.npz'));
    expect([...npz.keys()]).toEqual(Object.keys(expected.dtypes));
    for (const [name, want] of Object.entries(expected.dtypes)) {
      const got = plain(npz.get(name)!);
      expect(got.shape, name).toEqual(want.shape);
      expect(got.dtype, name).toBe(want.dtype);
      if (name === 'float32') expect(got.data).toEqual(want.data.map((v) => Math.fround(v as number)));
      else expect(got.data, name).toEqual(want.data);
    }
    expect((npz.get('fortran_f64') as NpyArray).fortranOrder).toBe(true);
    expect(typeof (npz.get('int64') as NpyArray).data[2]).toBe('bigint');
  });

  it('reads Fortran order, version 2.0 and 3.0 headers', () => {
    const f = readNpy(fixture('fortran.npy')) as NpyArray;
    expect(f.fortranOrder).toBe(true);
    expect(plain(f)).toEqual(expected.fortran);
    expect(plain(readNpy(fixture('v2.npy'))).data).toEqual(
      expected.dtypes.float32.data.map((v) => Math.fround(v as number)),
    );
    expect(plain(readNpy(fixture('v3.npy')))).toEqual(expected.dtypes.uint16);
  });

  it('reads text_prompts pickled by numpy 2.x (protocol 5, numpy._core)', () => {
    const p = readNpy(fixture('prompts_numpy2.npy'));
    expect(p.dtype === 'object' && p.value).toEqual(expected.prompts);
  });

  it('turns imgs (D, H, W) into an x-fastest Volume (W, H, D) without copying', () => {
    const c = readChallengeNpz(fixture('challenge_compressed.npz'));
    const v = arrayToVolume(c.imgs, [0.75, 0.8, 2.5]);
    expect(v.size).toEqual([6, 5, 4]);
    expect(v.data).toBe(c.imgs.data);
    // imgs[k][j][i] = ((k * 30 + j * 6 + i) * 37) % 256 as the fixture script builds it.
    for (const [i, j, k] of [
      [0, 0, 0],
      [5, 0, 0],
      [1, 4, 2],
      [5, 4, 3],
    ]) {
      expect(v.get(i, j, k)).toBe(((k * 30 + j * 6 + i) * 37) % 256);
    }
    expect(volumeToArray(v).shape).toEqual([4, 5, 6]);
  });
});

const CTORS: Record<NpyDtype, (n: number, r: () => number) => NpyArray['data']> = {
  bool: (n, r) => Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0)),
  uint8: (n, r) => Uint8Array.from({ length: n }, () => r() * 256),
  int8: (n, r) => Int8Array.from({ length: n }, () => r() * 256 - 128),
  int16: (n, r) => Int16Array.from({ length: n }, () => r() * 65536 - 32768),
  uint16: (n, r) => Uint16Array.from({ length: n }, () => r() * 65536),
  int32: (n, r) => Int32Array.from({ length: n }, () => (r() * 2 ** 32) | 0),
  uint32: (n, r) => Uint32Array.from({ length: n }, () => r() * 2 ** 32),
  int64: (n, r) => BigInt64Array.from({ length: n }, () => BigInt(Math.floor((r() - 0.5) * 2 ** 53)) * 1000n),
  uint64: (n, r) => BigUint64Array.from({ length: n }, () => BigInt(Math.floor(r() * 2 ** 53)) * 1000n),
  float32: (n, r) => Float32Array.from({ length: n }, () => (r() - 0.5) * 1e6),
  float64: (n, r) => Float64Array.from({ length: n }, () => (r() - 0.5) * 1e300),
};

function randomArrays(seed: number): Record<string, NpyArray> {
  let s = seed;
  const r = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const shapes = [[], [7], [3, 4], [2, 3, 4], [2, 1, 3, 2, 2], [0, 3]];
  const out: Record<string, NpyArray> = {};
  for (const [k, dtype] of (Object.keys(CTORS) as NpyDtype[]).entries()) {
    const shape = shapes[k % shapes.length];
    const n = shape.reduce((a, b) => a * b, 1);
    out[dtype] = { dtype, shape, data: CTORS[dtype](n, r), fortranOrder: k % 3 === 0 && shape.length > 1 };
  }
  out.f_order_3d = { dtype: 'int16', shape: [3, 4, 5], data: CTORS.int16(60, r), fortranOrder: true };
  return out;
}

describe('npz: round trips through our writer and reader', () => {
  it('npy: every dtype, rank and order, 64-byte aligned headers', () => {
    for (const a of Object.values(randomArrays(3))) {
      const bytes = writeNpy(a);
      const dataStart = bytes.length - a.data.byteLength;
      expect(dataStart % 64).toBe(0);
      const back = readNpy(bytes) as NpyArray;
      expect(back).toEqual(a);
    }
  });

  it('npz: stored, deflated and forced ZIP64 with text prompts', () => {
    const arrays: Record<string, NpzValue> = {
      ...randomArrays(5),
      text_prompts: { dtype: 'object', shape: [], value: PROMPTS },
    };
    for (const options of [{ compress: false }, { compress: true }, { compress: true, forceZip64: true }]) {
      const back = readNpz(writeNpz(arrays, options));
      expect(Object.fromEntries(back)).toEqual(arrays);
    }
  });

  it('pickle: dicts with unicode, __proto__, big and negative ints, bools', () => {
    // A computed key makes `__proto__` an own property, as a Python dict key would be.
    const dict = { ...PROMPTS, 'Ödem – ü': 'ß', ['__proto__']: 'x' };
    expect(Object.keys(dict)).toContain('__proto__');
    const back = readPickledPrompts(writePickledPrompts(dict));
    expect(Object.getPrototypeOf(back)).toBe(null);
    expect({ ...back }).toEqual({ ...dict });
    expect(back['__proto__']).toBe('x');
  });

  it('challenge output: segs int16 (D, H, W), spacing, text prompts', () => {
    const segs = Volume.zeros('int16', geometry([6, 5, 4]));
    segs.set(5, 4, 3, 12);
    const npz = readNpz(writeChallengeNpz({ segs, spacing: [2.5, 0.8, 0.75], textPrompts: PROMPTS }));
    const s = npz.get('segs') as NpyArray<'int16'>;
    expect(s.shape).toEqual([4, 5, 6]);
    expect(s.data[119]).toBe(12);
    expect(plain(npz.get('spacing')!)).toEqual({ dtype: 'float64', shape: [3], data: [2.5, 0.8, 0.75] });
    expect(npz.get('text_prompts')).toEqual({ dtype: 'object', shape: [], value: PROMPTS });
  });
});

const NUMPY_TITLE = numpyPython()
  ? 'npz: numpy reads our files'
  : 'npz: numpy reads our files (SKIPPED: no python3 with numpy found; set MEDALS_PYTHON)';
describe.skipIf(!numpyPython())(NUMPY_TITLE, () => {
  const dir = tempDir('medals-npz-');
  const LOAD = `
import json, sys, zipfile, numpy as np
out = {}
for path in sys.argv[1:]:
    if path.endswith('.npz'):
        assert zipfile.ZipFile(path).testzip() is None
        with np.load(path, allow_pickle=True) as d:
            arrays = {k: d[k] for k in d.files}
    else:
        arrays = {'x': np.load(path, allow_pickle=True)}
    for k, a in arrays.items():
        if a.dtype == object:
            out[path + ':' + k] = {'prompts': a[()]}
            continue
        vals = a.reshape(-1, order='C').tolist()
        if a.dtype.kind in 'iu' and a.dtype.itemsize == 8: vals = [str(v) for v in vals]
        out[path + ':' + k] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'data': vals,
                               'fortran': bool(a.flags.f_contiguous and not a.flags.c_contiguous)}
print(json.dumps(out))
`;

  it('loads npy and npz (stored, deflated, ZIP64) with the same values and prompts', () => {
    const arrays = randomArrays(11);
    const files: Record<string, Uint8Array> = {
      'deflated.npz': writeNpz({ ...arrays, text_prompts: { dtype: 'object', shape: [], value: PROMPTS } }),
      'stored.npz': writeNpz(arrays, { compress: false }),
      'zip64.npz': writeNpz(arrays, { forceZip64: true }),
      'f.npy': writeNpy(arrays.f_order_3d),
      'prompts.npy': writeNpy({ dtype: 'object', shape: [], value: PROMPTS }),
    };
    const paths = Object.entries(files).map(([name, bytes]) => {
      writeFileSync(path.join(dir, name), bytes);
      return path.join(dir, name);
    });
    const got = JSON.parse(runNumpy(LOAD, paths)) as Record<
      string,
      Flat & { prompts?: unknown; fortran: boolean }
    >;
    expect(got[`${paths[0]}:text_prompts`].prompts).toEqual(PROMPTS);
    expect(got[`${paths[4]}:x`].prompts).toEqual(PROMPTS);
    expect(got[`${paths[3]}:x`].fortran).toBe(true);
    for (const p of paths.slice(0, 3)) {
      for (const [k, a] of Object.entries(arrays)) {
        const { fortran, ...values } = got[`${p}:${k}`];
        expect(values, `${p} ${k}`).toEqual(plain(a));
        expect(fortran).toBe(a.fortranOrder && a.shape.filter((d) => d > 1).length > 1);
      }
    }
  });

  it('loads a challenge output npz', () => {
    const segs: NpyArray<'int16'> = {
      dtype: 'int16',
      shape: [2, 3, 4],
      data: Int16Array.from({ length: 24 }, (_, i) => i - 5),
      fortranOrder: false,
    };
    const file = path.join(dir, 'case.npz');
    writeFileSync(file, writeChallengeNpz({ segs, spacing: [3, 0.7, 0.7], textPrompts: PROMPTS }));
    const got = JSON.parse(runNumpy(LOAD, [file])) as Record<string, Flat & { prompts?: unknown }>;
    expect(got[`${file}:segs`]).toMatchObject(plain(segs));
    expect(got[`${file}:spacing`].data).toEqual([3, 0.7, 0.7]);
    expect(got[`${file}:text_prompts`].prompts).toEqual(PROMPTS);
  });
});

describe('npz: hostile inputs', () => {
  const samples = [
    'challenge_stored.npz',
    'challenge_compressed.npz',
    'descriptor.npz',
    'zip64_central.npz',
  ].map(fixture);
  const npys = ['fortran.npy', 'v2.npy', 'v3.npy', 'prompts_numpy2.npy'].map(fixture);
  const refusedOrOk = (code: string) => ['OK', 'INVALID_INPUT', 'UNSUPPORTED_FORMAT'].includes(code);

  it('truncation at any point is refused with INVALID_INPUT', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.double({ min: 0, max: 1, noNaN: true }), (which, at) => {
        const file = which < 4 ? samples[which] : npys[which - 4];
        const cut = file.subarray(0, Math.floor(at * (file.length - 1)));
        const read = which < 4 ? () => readNpz(cut) : () => readNpy(cut);
        return codeOf(read) === 'INVALID_INPUT';
      }),
      { numRuns: 400 },
    );
  });

  it('an npy entry truncated inside a valid zip is refused', () => {
    const npy = writeNpy({
      dtype: 'float32',
      shape: [10, 10],
      data: new Float32Array(100),
      fortranOrder: false,
    });
    for (const cut of [5, 60, 128, 300]) {
      expectRefused(
        () => readNpz(writeZip([{ name: 'a.npy', data: npy.subarray(0, cut) }])),
        'INVALID_INPUT',
      );
    }
  });

  it('bit flips read back or give INVALID_INPUT / UNSUPPORTED_FORMAT, never another error', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 7 }),
        (which, at, bit) => {
          const file = Buffer.from(which < 4 ? samples[which] : npys[which - 4]);
          file[Math.floor(at * (file.length - 1))] ^= 1 << bit;
          return refusedOrOk(codeOf(() => (which < 4 ? readChallengeNpz(file) : readNpy(file))));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('flipped data bytes fail the CRC-32 check', () => {
    const file = Buffer.from(samples[0]);
    const e = listZip(file)[0];
    file[e.dataOffset + e.compressedSize - 1] ^= 4;
    expectRefused(() => readNpz(file), 'INVALID_INPUT', /CRC-32/);
  });

  it('absurd shapes are refused from the header, before allocating', () => {
    const start = Date.now();
    const header = (shape: string, descr = '<f8') =>
      npyHeader(`{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`);
    expectRefused(
      () => readNpy(header('(1000000000000, 1000000000000, 1000000000000)')),
      'INVALID_INPUT',
      /limit/,
    );
    expectRefused(() => readNpy(header('(4294967296, 4294967296, 4294967296)')), 'INVALID_INPUT', /limit/);
    expectRefused(() => readNpy(header('(4611686018427387904, 4)')), 'INVALID_INPUT');
    expectRefused(() => readNpy(header('(123456789012345678901234567890,)')), 'INVALID_INPUT');
    expectRefused(() => readNpy(header('(-5, 3)')), 'INVALID_INPUT');
    // 64 GB declared, within an unbounded element limit: refused because the data are not there.
    expectRefused(
      () => readNpy(header('(65536, 1024, 1024)'), { maxElements: Infinity }),
      'INVALID_INPUT',
      /truncated/,
    );
    expectRefused(() => readNpy(header('(3,)', '>i4')), 'UNSUPPORTED_FORMAT', /big-endian/);
    expectRefused(() => readNpy(header('(3,)', '<U5')), 'UNSUPPORTED_FORMAT');
    expectRefused(
      () => readNpy(npyHeader("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (3,), }")),
      'UNSUPPORTED_FORMAT',
    );
    expect(Date.now() - start).toBeLessThan(1000);
  });

  it('an npz entry declaring 64 GB, or an image over the element limit, is refused before inflating', () => {
    const start = Date.now();
    const small = writeZip(
      [
        {
          name: 'imgs.npy',
          data: writeNpy({ dtype: 'uint8', shape: [4], data: new Uint8Array(4), fortranOrder: false }),
        },
      ],
      { forceZip64: true },
    );
    expectRefused(() => readNpz(patchUsize(small, 64e9)), 'INVALID_INPUT', /over the limit/);
    // Header and zip agree on 2e9 voxels; the data is a 1 MiB deflate stream.
    const head = npyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (2000, 1000, 1000), }");
    const big = oneEntryZip(
      'imgs.npy',
      deflateRawSync(Buffer.concat([head, Buffer.alloc(1 << 20)])),
      head.length + 2e9,
    );
    expectRefused(
      () => readNpz(big, { maxEntryBytes: 4e9 }),
      'INVALID_INPUT',
      /more than 1000000000 elements/,
    );
    expectRefused(() => readChallengeNpz(big), 'INVALID_INPUT', /imgs/);
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it('a deflate bomb stops at the declared size or the limit', () => {
    const n = 64 << 20;
    const head = npyHeader(`{'descr': '|u1', 'fortran_order': False, 'shape': (${n},), }`);
    const honest = writeZip([{ name: 'imgs.npy', data: Buffer.concat([head, Buffer.alloc(n)]) }]);
    expect(honest.length).toBeLessThan(200_000);
    const start = Date.now();
    expectRefused(() => readNpz(honest, { maxEntryBytes: 1 << 20 }), 'INVALID_INPUT', /over the limit/);
    expectRefused(() => readNpz(honest, { maxElements: 1e6 }), 'INVALID_INPUT', /limit/);
    // The zip and npy headers both claim 1000 bytes; the stream inflates to 64 MiB.
    const small = npyHeader(`{'descr': '|u1', 'fortran_order': False, 'shape': (${1000 - head.length},), }`);
    const bomb = oneEntryZip('imgs.npy', deflateRawSync(Buffer.concat([small, Buffer.alloc(n)])), 1000);
    expectRefused(() => readNpz(bomb), 'INVALID_INPUT', /inflates past its declared 1000 bytes/);
    expect(Date.now() - start).toBeLessThan(3000);
  });

  it('encrypted entries, other methods and bad offsets are refused', () => {
    const zip = writeZip(
      [
        {
          name: 'a.npy',
          data: writeNpy({ dtype: 'uint8', shape: [3], data: new Uint8Array(3), fortranOrder: false }),
        },
        {
          name: 'b.npy',
          data: writeNpy({ dtype: 'uint8', shape: [3], data: new Uint8Array(3), fortranOrder: false }),
        },
      ],
      { compress: false },
    );
    const cen = zip.indexOf(Buffer.from([0x50, 0x4b, 1, 2]));
    const cen2 = zip.indexOf(Buffer.from([0x50, 0x4b, 1, 2]), cen + 4);
    const patched = (edit: (z: Buffer) => void) => {
      const z = Buffer.from(zip);
      edit(z);
      return z;
    };
    expectRefused(
      () => readNpz(patched((z) => (z.writeUInt16LE(1, 6), z.writeUInt16LE(1, cen + 8)))),
      'UNSUPPORTED_FORMAT',
      /encrypted/,
    );
    expectRefused(
      () => readNpz(patched((z) => (z.writeUInt16LE(12, 8), z.writeUInt16LE(12, cen + 10)))),
      'UNSUPPORTED_FORMAT',
      /method 12/,
    );
    expectRefused(() => readNpz(patched((z) => z.writeUInt32LE(0x7ffffff0, cen2 + 42))), 'INVALID_INPUT');
    expectRefused(() => readNpz(patched((z) => z.writeUInt32LE(0, cen2 + 42))), 'INVALID_INPUT', /disagrees/);
    // Entry a claims to run over b's local header: sizes patched consistently, so only the overlap is wrong.
    const b = listZip(zip)[1];
    const size = b.dataOffset + 5 - listZip(zip)[0].dataOffset;
    const overlap = patched((z) => {
      for (const at of [18, 22, cen + 20, cen + 24]) z.writeUInt32LE(size, at);
    });
    expectRefused(() => readNpz(overlap), 'INVALID_INPUT', /overlap/);
  });

  it('pickles naming any other global, or another structure, are refused', () => {
    const osSystem = Buffer.from(
      '\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00lsq\x01\x85q\x02Rq\x03.',
      'latin1',
    );
    expectRefused(() => readNpy(objectNpy(osSystem)), 'UNSUPPORTED_FORMAT', /os\.system/);
    const stackGlobal = Buffer.from('\x80\x04\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R.', 'latin1');
    expectRefused(() => readPickledPrompts(stackGlobal), 'UNSUPPORTED_FORMAT', /builtins\.eval/);
    const good = Buffer.from(writePickledPrompts({ a: 'b' }));
    // A 1-d object array: shape (2,) instead of ().
    const oneD = Buffer.from(good.toString('latin1').replace('(K\x01)', '(K\x01K\x02\x85'), 'latin1');
    expectRefused(() => readPickledPrompts(oneD), 'UNSUPPORTED_FORMAT', /shape \(2\)/);
    // A float value (BINFLOAT) and a float dtype.
    const float = Buffer.from(
      good.toString('latin1').replace('X\x01\x00\x00\x00bu', 'G@\x09\x21\xfb\x54\x44\x2d\x18u'),
      'latin1',
    );
    expectRefused(() => readPickledPrompts(float), 'UNSUPPORTED_FORMAT', /opcode 0x47/);
    const f8 = Buffer.from(
      good.toString('latin1').replace('X\x02\x00\x00\x00O8', 'X\x02\x00\x00\x00f8'),
      'latin1',
    );
    expectRefused(() => readPickledPrompts(f8), 'UNSUPPORTED_FORMAT', /dtype f8/);
    // A bare dict, not inside an ndarray.
    expectRefused(
      () => readPickledPrompts(Buffer.from('\x80\x03}q\x00X\x01\x00\x00\x00aK\x01s.', 'latin1')),
      'UNSUPPORTED_FORMAT',
      /Dict/,
    );
    expectRefused(() => readPickledPrompts(good.subarray(0, good.length - 3)), 'INVALID_INPUT');
  });

  it('challenge npz without imgs, or with the wrong dtype, is refused with a clear message', () => {
    const spacing: NpyArray = {
      dtype: 'float64',
      shape: [3],
      data: new Float64Array([1, 1, 1]),
      fortranOrder: false,
    };
    expectRefused(
      () => readChallengeNpz(writeNpz({ spacing })),
      'INVALID_INPUT',
      /no imgs array \(it holds: spacing\)/,
    );
    const imgs: NpyArray = {
      dtype: 'float32',
      shape: [1, 2, 2],
      data: new Float32Array(4),
      fortranOrder: false,
    };
    expectRefused(
      () => readChallengeNpz(writeNpz({ imgs, spacing })),
      'INVALID_INPUT',
      /uint8 \(D, H, W\), got float32 \(1, 2, 2\)/,
    );
  });
});
