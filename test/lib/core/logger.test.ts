import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, scrub } from '../../../functions/lib/core/logger.js';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

describe('logger', () => {
  it('writes JSON records and never voxel data or patient header fields', () => {
    const out = capture();
    const log = createLogger({ destination: out.stream, base: { step: 'preprocess' } });
    log.info(
      {
        voxels: new Float32Array(1000).fill(3.5),
        asArray: Array.from({ length: 500 }, (_, i) => i),
        header: {
          descrip: 'DOE^JOHN 1961',
          PatientName: 'Doe^John',
          '0010|0020': 'ID123',
          spacing: [1, 1, 2],
        },
      },
      'image read',
    );
    const [record] = out.lines();
    expect(record.message).toBe('image read');
    expect(record.level).toBe('info');
    expect(record.step).toBe('preprocess');
    const text = JSON.stringify(record);
    expect(text).not.toMatch(/3\.5/);
    expect(text).not.toMatch(/DOE|Doe|ID123/);
    expect(record.voxels).toBe('[Float32Array of 1000]');
    expect(record.asArray).toBe('[Array of 500 numbers]');
    expect((record.header as Record<string, unknown>).spacing).toEqual([1, 1, 2]);
  });

  it('scrub leaves small plain values alone', () => {
    expect(scrub({ a: 1, b: 'x', c: [1, 2] })).toEqual({ a: 1, b: 'x', c: [1, 2] });
  });
});
