/**
 * Property-based tests (issue 9) with fast-check, bounded runs: image files damaged at random
 * (truncated, bits flipped, header fields set to absurd values) and arbitrary JSON as a case
 * request. Every outcome is either a clean result or a named error (INVALID_INPUT or
 * UNSUPPORTED_FORMAT) within bounded time: never a bare exception, a crash or a hang.
 * The npz and npy readers have their own properties in test/lib/image/npz.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { parseCaseRequest } from '../../functions/lib/case/case-request.js';
import { MedalsError } from '../../functions/lib/core/errors.js';
import { writeVolumeFile } from '../../functions/lib/image/image-io.js';
import { generatePhantom } from '../../functions/tools/phantom/phantom.js';
import { readImageInput } from '../../functions/lib/image/read-input.js';
import { tempDir } from '../helpers/tmp.js';

const NAMED = ['INVALID_INPUT', 'UNSUPPORTED_FORMAT'];
const dir = tempDir('medals-fuzz-');
const originals = new Map<string, Buffer>();
let counter = 0;

beforeAll(async () => {
  const phantom = generatePhantom({ size: [12, 10, 8], spacing: [0.8, 0.8, 2.5], seed: 3 });
  for (const [name, compress] of [
    ['base.nii', false],
    ['base.nii.gz', true],
    ['base.nrrd', false],
    ['base.mha', false],
  ] as const) {
    const file = path.join(dir, name);
    await writeVolumeFile(phantom.image, file, { compress });
    originals.set(name, readFileSync(file));
  }
});

/** Reads a damaged copy; resolves 'read' or the error code, and fails on anything unnamed. */
async function outcome(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, `case-${counter++}-${name}`);
  writeFileSync(file, bytes);
  try {
    await readImageInput(file);
    return 'read';
  } catch (e) {
    if (!(e instanceof MedalsError)) throw new Error(`unnamed error for a damaged ${name}: ${String(e)}`);
    return e.code;
  }
}

/** Damage: truncate at a fraction, flip bits at fractions, or overwrite a header word. */
const damage = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 0.999, noNaN: true }) }),
  fc.record({
    kind: fc.constant('flip' as const),
    flips: fc.array(
      fc.tuple(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.integer({ min: 0, max: 7 })),
      {
        minLength: 1,
        maxLength: 8,
      },
    ),
    headerOnly: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('word' as const),
    offset: fc.integer({ min: 0, max: 344 }),
    value: fc.constantFrom(0, -1, 0x7fff, 0x7fffffff, -0x80000000, 0x10000, 3, 7),
  }),
);

function damaged(name: string, d: unknown): Uint8Array {
  const gz = name.endsWith('.gz');
  const original = originals.get(name)!;
  const bytes = Buffer.from(gz ? gunzipSync(original) : original);
  const spec = d as
    | { kind: 'truncate'; at: number }
    | { kind: 'flip'; flips: [number, number][]; headerOnly: boolean }
    | { kind: 'word'; offset: number; value: number };
  let out: Buffer = bytes;
  if (spec.kind === 'truncate') out = bytes.subarray(0, Math.floor(spec.at * bytes.length));
  else if (spec.kind === 'flip') {
    const span = spec.headerOnly ? Math.min(bytes.length, 512) : bytes.length;
    for (const [at, bit] of spec.flips) bytes[Math.floor(at * span)] ^= 1 << bit;
  } else if (spec.offset + 4 <= bytes.length) bytes.writeInt32LE(spec.value, spec.offset);
  return gz ? gzipSync(out) : out;
}

describe('damaged image files', () => {
  it.each(['base.nii', 'base.nii.gz', 'base.nrrd', 'base.mha'])(
    '%s: a clean read or a named error, every time',
    async (name) => {
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(damage, async (d) => {
          const started = performance.now();
          const result = await outcome(name, damaged(name, d));
          seen.set(result, (seen.get(result) ?? 0) + 1);
          // NRRD and MetaImage headers may name a separate data file: a damaged name is a
          // missing file, NOT_FOUND naming it, which is also a named, actionable error.
          const allowed = name.endsWith('.nii') || name.endsWith('.nii.gz') ? NAMED : [...NAMED, 'NOT_FOUND'];
          expect(result === 'read' || allowed.includes(result), result).toBe(true);
          // A generous bound: a damaged 960-voxel file must not send a reader into a long loop.
          expect(performance.now() - started).toBeLessThan(10_000);
        }),
        { numRuns: 100, seed: 20261128 },
      );
      // The damage does reach the checks: some files are refused.
      expect(
        [...seen.keys()].some((k) => NAMED.includes(k)),
        JSON.stringify([...seen]),
      ).toBe(true);
    },
    120_000,
  );
});

describe('arbitrary case requests', () => {
  it('parse or fail with INVALID_INPUT, never anything else', () => {
    const uri = fc.oneof(
      fc.string(),
      fc.constantFrom('image.nii.gz', 's3://bkt/a.nii.gz', '/x/../y', 'file:///t'),
    );
    const request = fc.record(
      {
        image: uri,
        output: uri,
        prompts: fc.oneof(
          fc.array(fc.string(), { maxLength: 3 }),
          fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
        ),
        mask: uri,
        groundTruth: uri,
        modality: fc.oneof(fc.constantFrom('CT', 'MRI', 'PET'), fc.string()),
        options: fc.anything(),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(request, fc.anything()), (input) => {
        try {
          const parsed = parseCaseRequest(input);
          expect(typeof parsed.image).toBe('string');
        } catch (e) {
          expect(e instanceof MedalsError && e.code === 'INVALID_INPUT', String(e)).toBe(true);
        }
      }),
      { numRuns: 500, seed: 20261128 },
    );
  });
});

describe('absurd NIfTI header fields', () => {
  /** The phantom's .nii with one header edit (NIfTI-1 offsets). */
  const edited = (edit: (view: DataView) => void): Uint8Array => {
    const bytes = Buffer.from(originals.get('base.nii')!);
    edit(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return bytes;
  };
  const dims = (d: number[]) => (v: DataView) => d.forEach((n, i) => v.setInt16(40 + 2 * i, n, true));
  const cases: [string, (v: DataView) => void][] = [
    ['dimensions whose product overflows 2^53 bytes', dims([3, 32767, 32767, 32767])],
    ['a negative dimension', dims([3, 12, -10, 8])],
    ['a zero dimension', dims([3, 12, 0, 8])],
    ['dim[0] out of range', dims([9, 12, 10, 8])],
    ['vox_offset past the end of the file', (v) => v.setFloat32(108, 1e9, true)],
    ['a negative vox_offset', (v) => v.setFloat32(108, -352, true)],
    ['a NaN vox_offset', (v) => v.setFloat32(108, Number.NaN, true)],
    ['an unknown datatype', (v) => v.setInt16(70, 0x3333, true)],
    ['a complex datatype', (v) => v.setInt16(70, 32, true)],
    ['a NaN spacing', (v) => v.setFloat32(80, Number.NaN, true)],
    ['a zero spacing', (v) => v.setFloat32(84, 0, true)],
  ];
  it.each(cases)('%s: INVALID_INPUT or UNSUPPORTED_FORMAT, quickly', async (_, edit) => {
    const started = performance.now();
    expect(NAMED).toContain(await outcome('base.nii', edited(edit)));
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
