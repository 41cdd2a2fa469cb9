/**
 * Small volumes for the report's viewer: a block-downsampled copy of the image and of the label
 * map, and a minimal gzipped NIfTI-1 encoder for them (the viewer decodes it in the page).
 */
import { gzipSync } from 'node:zlib';
import { InvalidInputError } from '../core/errors.js';
import { type Vec3, Volume, indexToPoint } from '../geometry/volume.js';
import { type LabelArray, blockMean, blockMode } from '../../../native/index.js';

/**
 * Factors [fx, fy, fz] by which to shrink `size` so that it holds at most `maxVoxels`: the axis
 * with the finest effective spacing (spacing x factor) grows first, so the copy tends toward
 * isotropic voxels.
 */
export function downsampleFactors(size: Vec3, spacing: Vec3, maxVoxels: number): Vec3 {
  const f: Vec3 = [1, 1, 1];
  const count = () => Math.ceil(size[0] / f[0]) * Math.ceil(size[1] / f[1]) * Math.ceil(size[2] / f[2]);
  while (count() > maxVoxels) {
    let best = -1;
    for (let a = 0; a < 3; a++) {
      if (Math.ceil(size[a] / f[a]) <= 1) continue;
      if (best < 0 || spacing[a] * f[a] < spacing[best] * f[best]) best = a;
    }
    if (best < 0) break;
    f[best]++;
  }
  return f;
}

/** The grid of blocks: size ceil(size / f), spacing x f, origin at the first block's centre. */
function blockGeometry(v: Volume, f: Vec3) {
  const size: Vec3 = [0, 1, 2].map((a) => Math.ceil(v.size[a] / f[a])) as Vec3;
  const spacing: Vec3 = [0, 1, 2].map((a) => v.spacing[a] * f[a]) as Vec3;
  const origin = indexToPoint(v.geometry, [(f[0] - 1) / 2, (f[1] - 1) / 2, (f[2] - 1) / 2]);
  return { size, spacing, origin, direction: v.direction };
}

/** Block means of an image (rounded for integer voxel types); the volume itself when f = 1. */
export function downsampleImage(v: Volume, f: Vec3): Volume {
  if (f[0] === 1 && f[1] === 1 && f[2] === 1) return v;
  return new Volume(blockGeometry(v, f), blockMean(v.data, v.size, f));
}

/** Block modes of a label map (ties: the smaller value; background is a value like the others). */
export function downsampleLabels(v: Volume, f: Vec3): Volume {
  if (f[0] === 1 && f[1] === 1 && f[2] === 1) return v;
  if (v.type === 'float32')
    throw new InvalidInputError('downsampleLabels: the label map must hold integer labels');
  return new Volume(blockGeometry(v, f), blockMode(v.data as LabelArray, v.size, f));
}

const NIFTI_TYPES = {
  uint8: { code: 2, bits: 8 },
  int16: { code: 4, bits: 16 },
  int32: { code: 8, bits: 32 },
  float32: { code: 16, bits: 32 },
  uint16: { code: 512, bits: 16 },
} as const;

/**
 * A NIfTI-1 single file (.nii) of the volume, gzipped. The sform (code 1, scanner) carries the
 * exact geometry: NIfTI is RAS, ITK is LPS, so the first two rows of
 * [direction x diag(spacing) | origin] change sign. qform_code is 0 (unset).
 */
export function encodeNifti(v: Volume, options: { description?: string } = {}): Buffer {
  const t = NIFTI_TYPES[v.type];
  if (!t) throw new InvalidInputError(`cannot write ${v.type} voxels as NIfTI`);
  const header = Buffer.alloc(352);
  header.writeInt32LE(348, 0); // sizeof_hdr
  header.writeInt16LE(3, 40); // dim[0]
  for (let a = 0; a < 3; a++) header.writeInt16LE(v.size[a], 42 + 2 * a);
  for (let a = 3; a < 7; a++) header.writeInt16LE(1, 42 + 2 * a);
  header.writeInt16LE(t.code, 70); // datatype
  header.writeInt16LE(t.bits, 72); // bitpix
  header.writeFloatLE(1, 76); // pixdim[0] (qfac)
  for (let a = 0; a < 3; a++) header.writeFloatLE(v.spacing[a], 80 + 4 * a);
  for (let a = 3; a < 7; a++) header.writeFloatLE(1, 80 + 4 * a);
  header.writeFloatLE(352, 108); // vox_offset
  header.writeFloatLE(1, 112); // scl_slope
  header.writeFloatLE(0, 116); // scl_inter
  header.writeUInt8(2 | 8, 123); // xyzt_units: mm, s
  header.write((options.description ?? 'medals report').slice(0, 79), 148, 'latin1');
  header.writeInt16LE(0, 252); // qform_code
  header.writeInt16LE(1, 254); // sform_code
  const d = v.direction;
  for (let r = 0; r < 3; r++) {
    const flip = r < 2 ? -1 : 1;
    for (let c = 0; c < 3; c++) header.writeFloatLE(flip * d[r * 3 + c] * v.spacing[c], 280 + 16 * r + 4 * c);
    header.writeFloatLE(flip * v.origin[r], 280 + 16 * r + 12);
  }
  header.write('n+1\0', 344, 'latin1');
  const data = Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);
  // Level 1: a 4M-voxel CT copy compresses to 2.77 MB in 0.08 s, against 2.57 MB in 0.48 s at 6.
  return gzipSync(Buffer.concat([header, data]), { level: 1 });
}
