/**
 * A minimal DICOM CT series writer for tests: one explicit-VR little-endian file per slice with
 * the geometry tags a reader needs. It is the independent side of the DICOM round trip: the
 * geometry is written from the Volume's definition, not by itk-wasm.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Volume, indexToPoint } from '../../functions/lib/geometry/volume.js';

const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

function element(group: number, elem: number, vr: string, value: Buffer | string | number): Buffer {
  let body: Buffer;
  if (typeof value === 'number') {
    body = Buffer.alloc(vr === 'UL' ? 4 : 2);
    if (vr === 'UL') body.writeUInt32LE(value);
    else body.writeUInt16LE(value);
  } else if (typeof value === 'string') {
    const padded = value.length % 2 ? value + (vr === 'UI' ? '\0' : ' ') : value;
    body = Buffer.from(padded, 'latin1');
  } else {
    body = value.length % 2 ? Buffer.concat([value, Buffer.alloc(1)]) : value;
  }
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(body.length, 8);
  else head.writeUInt16LE(body.length, 6);
  return Buffer.concat([head, body]);
}

const ds = (values: number[]) => values.map((v) => Number(v.toFixed(6)).toString()).join('\\');

/** Writes `volume` (int16, CT) as a series of slice files into `dir`; returns the file paths. */
/** A text element added to every slice (for example a patient tag), as [group, element, VR, value]. */
export type DicomText = [number, number, string, string];

export function writeDicomSeries(
  volume: Volume<'int16'>,
  dir: string,
  options: { shuffle?: boolean; text?: DicomText[] } = {},
): string[] {
  const [X, Y, Z] = volume.size;
  const d = volume.direction;
  const root = '1.2.826.0.1.3680043.2.1125.99';
  const files: string[] = [];
  for (let k = 0; k < Z; k++) {
    const sopInstance = `${root}.3.${k + 1}`;
    const meta = Buffer.concat([
      element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
      element(0x0002, 0x0002, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
      element(0x0002, 0x0003, 'UI', sopInstance),
      element(0x0002, 0x0010, 'UI', '1.2.840.10008.1.2.1'),
      element(0x0002, 0x0012, 'UI', `${root}.9`),
    ]);
    const slice = Buffer.from(volume.data.buffer, volume.data.byteOffset + k * X * Y * 2, X * Y * 2);
    const elements: [number, number, string, Buffer | string | number][] = [
      [0x0008, 0x0016, 'UI', '1.2.840.10008.5.1.4.1.1.2'],
      [0x0008, 0x0018, 'UI', sopInstance],
      [0x0008, 0x0060, 'CS', 'CT'],
      [0x0010, 0x0010, 'PN', 'Phantom^Test'],
      [0x0020, 0x000d, 'UI', `${root}.1`],
      [0x0020, 0x000e, 'UI', `${root}.2`],
      [0x0020, 0x0013, 'IS', String(k + 1)],
      [0x0020, 0x0032, 'DS', ds(indexToPoint(volume.geometry, [0, 0, k]))],
      [0x0020, 0x0037, 'DS', ds([d[0], d[3], d[6], d[1], d[4], d[7]])],
      [0x0028, 0x0002, 'US', 1],
      [0x0028, 0x0004, 'CS', 'MONOCHROME2'],
      [0x0028, 0x0010, 'US', Y],
      [0x0028, 0x0011, 'US', X],
      // PixelSpacing is (between rows, between columns) = (y, x).
      [0x0028, 0x0030, 'DS', ds([volume.spacing[1], volume.spacing[0]])],
      [0x0028, 0x0100, 'US', 16],
      [0x0028, 0x0101, 'US', 16],
      [0x0028, 0x0102, 'US', 15],
      [0x0028, 0x0103, 'US', 1],
      [0x0028, 0x1052, 'DS', '0'],
      [0x0028, 0x1053, 'DS', '1'],
      [0x7fe0, 0x0010, 'OW', slice],
      ...(options.text ?? []),
    ];
    // Data elements in ascending tag order, as DICOM requires; a given text replaces ours.
    const tag = ([g, e]: readonly [number, number, ...unknown[]]) => g * 0x10000 + e;
    const byTag = new Map(elements.map((el) => [tag(el), el] as const));
    const dataset = Buffer.concat(
      [...byTag.values()]
        .sort((a, b) => tag(a) - tag(b))
        .map(([g, e, vr, value]) => element(g, e, vr, value)),
    );
    const groupLength = element(0x0002, 0x0000, 'UL', meta.length);
    const file = path.join(dir, `slice-${options.shuffle ? (k * 7919) % 10007 : k}.dcm`);
    writeFileSync(file, Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), groupLength, meta, dataset]));
    files.push(file);
  }
  return files;
}
