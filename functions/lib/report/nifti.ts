/**
 * Small volumes for the report's viewer: a block-downsampled copy of the image and of the label
 * map, and a minimal gzipped NIfTI-1 encoder for them (the viewer decodes it in the page).
 */
import { gzipSync } from 'node:zlib';
import { InvalidInputError } from '../core/errors.js';
import { type Vec3, Volume, allocate, indexToPoint, voxelCount } from '../geometry/volume.js';

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

/** Calls visit(blockIndex, voxelIndex) for every voxel, block by block. */
function forEachBlockVoxel(
  v: Volume,
  f: Vec3,
  out: Vec3,
  visit: (b: number, n: number) => void,
  end: (b: number) => void,
) {
  const [X, Y, Z] = v.size;
  let b = 0;
  for (let bk = 0; bk < out[2]; bk++) {
    for (let bj = 0; bj < out[1]; bj++) {
      for (let bi = 0; bi < out[0]; bi++, b++) {
        for (let k = bk * f[2]; k < Math.min(Z, (bk + 1) * f[2]); k++) {
          for (let j = bj * f[1]; j < Math.min(Y, (bj + 1) * f[1]); j++) {
            const row = X * (j + Y * k);
            for (let i = bi * f[0]; i < Math.min(X, (bi + 1) * f[0]); i++) visit(b, row + i);
          }
        }
        end(b);
      }
    }
  }
}

/** Block means of an image (rounded for integer voxel types); the volume itself when f = 1. */
export function downsampleImage(v: Volume, f: Vec3): Volume {
  if (f[0] === 1 && f[1] === 1 && f[2] === 1) return v;
  const g = blockGeometry(v, f);
  const out = allocate(v.type, voxelCount(g.size));
  const integer = v.type !== 'float32';
  let sum = 0;
  let n = 0;
  forEachBlockVoxel(
    v,
    f,
    g.size,
    (_b, i) => {
      sum += v.data[i];
      n++;
    },
    (b) => {
      out[b] = integer ? Math.round(sum / n) : sum / n;
      sum = 0;
      n = 0;
    },
  );
  return new Volume(g, out);
}

/** Block modes of a label map (ties: the smaller value; labels beat background only by count). */
export function downsampleLabels(v: Volume, f: Vec3): Volume {
  if (f[0] === 1 && f[1] === 1 && f[2] === 1) return v;
  const g = blockGeometry(v, f);
  const out = allocate(v.type, voxelCount(g.size));
  const values: number[] = [];
  const counts: number[] = [];
  forEachBlockVoxel(
    v,
    f,
    g.size,
    (_b, i) => {
      const x = v.data[i];
      const at = values.indexOf(x);
      if (at >= 0) counts[at]++;
      else {
        values.push(x);
        counts.push(1);
      }
    },
    (b) => {
      let best = 0;
      for (let m = 1; m < values.length; m++) {
        if (counts[m] > counts[best] || (counts[m] === counts[best] && values[m] < values[best])) best = m;
      }
      out[b] = values[best];
      values.length = 0;
      counts.length = 0;
    },
  );
  return new Volume(g, out);
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
  return gzipSync(Buffer.concat([header, data]), { level: 6 });
}
