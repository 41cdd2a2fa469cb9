import { describe, expect, it } from 'vitest';
import { normalizePrompts, parseCaseRequest } from '../../../functions/lib/case/case-request.js';
import { InvalidInputError, MedalsError } from '../../../functions/lib/core/errors.js';

const valid = {
  image: 's3://inbox/case-1/image.nii.gz',
  prompts: ['liver', 'left kidney'],
  output: 's3://results/case-1/',
};

function errorOf(input: unknown): MedalsError {
  try {
    parseCaseRequest(input);
  } catch (e) {
    return e as MedalsError;
  }
  throw new Error('expected parseCaseRequest to throw');
}

describe('case request schema', () => {
  it('accepts a minimal request and the challenge text_prompts object', () => {
    expect(parseCaseRequest(valid).image).toBe(valid.image);
    const challenge = parseCaseRequest({
      ...valid,
      prompts: { '1': 'Liver in CT', '2': 'Spleen in CT', instance_label: 0 },
      modality: 'CT',
      groundTruth: 'gt.nii.gz',
      mask: 'mask.nii.gz',
      options: { device: 'cuda', tolerance: 2, seed: 7 },
    });
    expect(normalizePrompts(challenge.prompts!)).toEqual({
      prompts: [
        { value: 1, text: 'Liver in CT' },
        { value: 2, text: 'Spleen in CT' },
      ],
      instance: false,
    });
  });

  it("refuses inputs the case's own outputs would overwrite", () => {
    for (const [field, ref] of [
      ['image', '/data/out/seg.nii.gz'],
      ['groundTruth', 'file:///data/out/metrics.json'],
      ['mask', '/data/out/work/stage1-seg.nii.gz'],
    ] as const) {
      const e = errorOf({ ...valid, [field]: ref, output: '/data/out/' });
      expect(e.code, ref).toBe('INVALID_INPUT');
      expect(e.message).toMatch(/would be overwritten by the case's own outputs/);
    }
    for (const s3 of ['s3://b-1/out/seg.npz', 's3://b-1/out/work/scaled.nii.gz'])
      expect(errorOf({ ...valid, image: s3, output: 's3://b-1/out' }).code, s3).toBe('INVALID_INPUT');
    // Beside the outputs, or under a folder that only starts like work/, is fine.
    expect(parseCaseRequest({ ...valid, image: '/data/out/image.nii.gz', output: '/data/out' }).image).toBe(
      '/data/out/image.nii.gz',
    );
    expect(
      parseCaseRequest({ ...valid, image: '/data/out/workbench/a.nii.gz', output: '/data/out' }),
    ).toBeTruthy();
  });

  it('gives list prompts the values 1..N in order', () => {
    expect(normalizePrompts(['b', 'a']).prompts).toEqual([
      { value: 1, text: 'b' },
      { value: 2, text: 'a' },
    ]);
  });

  it('a missing image is INVALID_INPUT naming the field', () => {
    const e = errorOf({ prompts: ['liver'], output: 'out' });
    expect(e).toBeInstanceOf(InvalidInputError);
    expect(e.name).toBe('INVALID_INPUT');
    expect(e.code).toBe('INVALID_INPUT');
    expect(e.message).toMatch(/missing required field 'image'/);
    expect(e.details?.fields).toContain('image');
  });

  it('unknown and malformed fields are named', () => {
    expect(errorOf({ ...valid, imgae: 'x' }).message).toMatch(/unknown field 'imgae'/);
    expect(errorOf({ ...valid, options: { devise: 'cpu' } }).message).toMatch(
      /unknown field 'devise' in options/,
    );
    expect(errorOf({ ...valid, modality: 'XR' }).message).toMatch(/field 'modality'/);
    expect(errorOf({ ...valid, prompts: [] }).message).toMatch(/prompts/);
    expect(errorOf({ ...valid, prompts: { a: 'liver' } }).message).toMatch(/prompts/);
    expect(errorOf({ ...valid, options: { tolerance: -1 } }).message).toMatch(/options\.tolerance/);
    expect(errorOf('image.nii.gz').message).toMatch(/JSON object/);
  });
});

describe('named errors', () => {
  it('carry name === code and print as one line', () => {
    const e = new InvalidInputError('spacing must be positive\nsecond line');
    expect(e.name).toBe('INVALID_INPUT');
    expect(e.toLine()).toBe('INVALID_INPUT: spacing must be positive');
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'INVALID_INPUT', message: e.message });
    expect(e).toBeInstanceOf(Error);
  });
});
