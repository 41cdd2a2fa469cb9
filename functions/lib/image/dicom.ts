/** A DICOM series folder read into one volume with @itk-wasm/dicom (slices sorted by position). */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readImageDicomFileSeriesNode } from '@itk-wasm/dicom';
import { InvalidInputError, UnsupportedFormatError } from '../core/errors.js';
import { volumeFromItkImage } from './image-io.js';
import type { Volume } from '../geometry/volume.js';
import { quietItk } from './itk-console.js';

/** Files that cannot be slices: keeps DICOMDIR indexes and stray notes out of the series. */
const NOT_A_SLICE = /^(dicomdir|.*\.(txt|json|xml|md|html?|csv|pdf|jpe?g|png|zip))$/i;

export async function readDicomSeries(dir: string): Promise<Volume> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.') && !NOT_A_SLICE.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
  if (files.length === 0) throw new InvalidInputError(`${dir} is a folder with no DICOM files in it`);
  if (files.length === 1) {
    throw new InvalidInputError(
      `${dir} holds a single DICOM file; a series of slices is needed for a 3D volume`,
    );
  }
  let result;
  try {
    result = await quietItk(() => readImageDicomFileSeriesNode({ inputImages: files }));
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new UnsupportedFormatError(`could not read ${dir} as a DICOM series: ${why}`, { cause: e });
  }
  const image = result.outputImage;
  if (image.imageType.dimension === 3 && image.size[2] !== files.length) {
    throw new InvalidInputError(
      `${dir} holds ${files.length} files but only ${image.size[2]} formed one series; give a folder with one series`,
    );
  }
  return volumeFromItkImage(image, dir);
}
