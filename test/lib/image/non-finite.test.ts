import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NonFiniteCounter } from '../../../functions/lib/image/input/non-finite.js';

/** The voxels as bytes, in either byte order, with `before` and `after` bytes of other data around them. */
function encode(
  values: number[],
  type: 'float32' | 'float64',
  little: boolean,
  before: number,
  after: number,
) {
  const size = type === 'float32' ? 4 : 8;
  const bytes = new Uint8Array(before + values.length * size + after).fill(0xff);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) =>
    type === 'float32'
      ? view.setFloat32(before + i * size, v, little)
      : view.setFloat64(before + i * size, v, little),
  );
  return bytes;
}

const voxel = fc.oneof(
  { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity) },
);

describe('NonFiniteCounter', () => {
  it('counts what Number.isFinite refuses, whatever the type, byte order, offset and chunking', () => {
    fc.assert(
      fc.property(
        fc.array(voxel, { maxLength: 200 }),
        fc.constantFrom('float32' as const, 'float64' as const),
        fc.boolean(),
        fc.nat(13),
        fc.nat(9),
        fc.array(fc.integer({ min: 1, max: 37 }), { minLength: 1, maxLength: 8 }),
        (values, type, little, before, after, cuts) => {
          const stored = values.map((v) => (type === 'float32' ? Math.fround(v) : v));
          const expected = stored.filter((v) => !Number.isFinite(v)).length;
          const bytes = encode(stored, type, little, before, after);
          const counter = new NonFiniteCounter(type, little, before, bytes.length - before - after);
          // Pieces of the given lengths, in turn, copied to odd offsets of fresh buffers.
          for (let at = 0, k = 0; at < bytes.length; k++) {
            const n = Math.min(cuts[k % cuts.length], bytes.length - at);
            const holder = new Uint8Array(n + 1);
            holder.set(bytes.subarray(at, at + n), 1);
            counter.push(holder.subarray(1));
            at += n;
          }
          expect(counter.finish()).toBe(expected);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('scans a large aligned block in place and finds one NaN among millions', () => {
    const values = new Float32Array(3_000_001).fill(-1024.5);
    values[2_999_999] = NaN;
    const bytes = new Uint8Array(values.buffer);
    const counter = new NonFiniteCounter('float32', true, 0, bytes.length);
    counter.push(bytes);
    expect(counter.finish()).toBe(1);
  });
});
