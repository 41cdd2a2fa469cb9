import path from 'node:path';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatePhantom } from '../../../functions/tools/phantom/phantom.js';
import { readDicomSeries } from '../../../functions/lib/image/dicom.js';
import { writeDicomSeries } from '../../helpers/dicom-writer.js';
import { tempDir } from '../../helpers/tmp.js';

describe('DICOM series input', () => {
  const dir = tempDir();
  const phantom = generatePhantom({ size: [32, 28, 10], spacing: [0.8, 0.7, 2.5], seed: 8 });

  it('reads a shuffled series into the volume it was written from, geometry included', async () => {
    const series = path.join(dir, 'series');
    mkdirSync(series);
    writeDicomSeries(phantom.image, series, { shuffle: true });
    const v = await readDicomSeries(series);
    expect(v.size).toEqual(phantom.image.size);
    for (let a = 0; a < 3; a++) {
      expect(v.spacing[a]).toBeCloseTo(phantom.image.spacing[a], 4);
      expect(v.origin[a]).toBeCloseTo(phantom.image.origin[a], 4);
    }
    for (let i = 0; i < 9; i++) expect(v.direction[i]).toBeCloseTo(phantom.image.direction[i], 5);
    expect(Array.from(v.data)).toEqual(Array.from(phantom.image.data));
  });

  it('refuses an empty folder and a single slice', async () => {
    const empty = path.join(dir, 'empty');
    mkdirSync(empty);
    await expect(readDicomSeries(empty)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const one = path.join(dir, 'one');
    mkdirSync(one);
    const files = writeDicomSeries(generatePhantom({ size: [8, 8, 8], seed: 1 }).image, one);
    files.slice(1).forEach((f) => rmSync(f));
    await expect(readDicomSeries(one)).rejects.toThrow(/single DICOM file/);
  });

  it('refuses a folder of files that are not DICOM with UNSUPPORTED_FORMAT', async () => {
    const junk = path.join(dir, 'junk');
    mkdirSync(junk);
    writeFileSync(path.join(junk, 'a.dcm'), 'not dicom');
    writeFileSync(path.join(junk, 'b.dcm'), 'not dicom either');
    await expect(readDicomSeries(junk)).rejects.toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
  });
});
