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

/**
 * Block means of an image (rounded for integer voxel types); the volume itself when f = 1.
 * Each block's voxels are summed in (k, j, i) order, in a double.
 */
export function downsampleImage(v: Volume, f: Vec3): Volume {
  if (f[0] === 1 && f[1] === 1 && f[2] === 1) return v;
  const g = blockGeometry(v, f);
  const out = allocate(v.type, voxelCount(g.size));
  const integer = v.type !== 'float32';
  const data: ArrayLike<number> = v.data;
  const [X, Y, Z] = v.size;
  const [fx, fy, fz] = f;
  // Plain loops over typed arrays: a callback per voxel cost 2 s on a 512 x 512 x 240 CT.
  let b = 0;
  for (let k0 = 0; k0 < Z; k0 += fz) {
    const k1 = Math.min(Z, k0 + fz);
    for (let j0 = 0; j0 < Y; j0 += fy) {
      const j1 = Math.min(Y, j0 + fy);
      for (let i0 = 0; i0 < X; i0 += fx, b++) {
        const i1 = Math.min(X, i0 + fx);
        let sum = 0;
        for (let k = k0; k < k1; k++) {
          for (let j = j0; j < j1; j++) {
            const row = X * (j + Y * k);
            for (let i = row + i0, end = row + i1; i < end; i++) sum += data[i];
          }
        }
        const mean = sum / ((k1 - k0) * (j1 - j0) * (i1 - i0));
        out[b] = integer ? Math.round(mean) : mean;
      }
    }
  }
  return new Volume(g, out);
}

/**
 * A label map as small non-negative codes to count by: `code = voxel - base`, `value = decode ?
 * decode[code] : code + base`; codes ascend with values. 8- and 16-bit maps are their own codes;
 * 32-bit ones are offset by their minimum, or numbered densely when their range is too wide.
 */
function labelCodes(v: Volume): { codes: ArrayLike<number>; base: number; range: number; decode?: number[] } {
  if (v.type === 'uint8') return { codes: v.data, base: 0, range: 256 };
  if (v.type === 'uint16') return { codes: v.data, base: 0, range: 65536 };
  if (v.type === 'int16') return { codes: v.data, base: -32768, range: 65536 };
  const data = v.data;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    if (data[i] < min) min = data[i];
    if (data[i] > max) max = data[i];
  }
  if (max - min < 1 << 20) return { codes: data, base: min, range: max - min + 1 };
  const decode = [...new Set(data)].sort((a, b) => a - b);
  const code = new Map(decode.map((x, n) => [x, n]));
  return { codes: Int32Array.from(data, (x) => code.get(x)!), base: 0, range: decode.length, decode };
}

/** Block modes of a label map (ties: the smaller value; labels beat background only by count). */
export function downsampleLabels(v: Volume, f: Vec3): Volume {
  if (f[0] === 1 && f[1] === 1 && f[2] === 1) return v;
  const g = blockGeometry(v, f);
  const out = allocate(v.type, voxelCount(g.size));
  const { codes, base, range, decode } = labelCodes(v);
  const counts = new Uint32Array(range);
  const touched = new Int32Array(f[0] * f[1] * f[2]);
  const [X, Y, Z] = v.size;
  const [fx, fy, fz] = f;
  let b = 0;
  for (let k0 = 0; k0 < Z; k0 += fz) {
    const k1 = Math.min(Z, k0 + fz);
    for (let j0 = 0; j0 < Y; j0 += fy) {
      const j1 = Math.min(Y, j0 + fy);
      for (let i0 = 0; i0 < X; i0 += fx, b++) {
        const i1 = Math.min(X, i0 + fx);
        // Most blocks hold one value (background, the inside of an organ): no counting then.
        const first = codes[X * (j0 + Y * k0) + i0];
        let uniform = true;
        for (let k = k0; k < k1 && uniform; k++) {
          for (let j = j0; j < j1; j++) {
            const row = X * (j + Y * k);
            let i = row + i0;
            for (const end = row + i1; i < end && codes[i] === first; i++);
            if (i < row + i1) {
              uniform = false;
              break;
            }
          }
        }
        if (uniform) {
          out[b] = decode ? decode[first - base] : first;
          continue;
        }
        let n = 0;
        for (let k = k0; k < k1; k++) {
          for (let j = j0; j < j1; j++) {
            const row = X * (j + Y * k);
            for (let i = row + i0, end = row + i1; i < end; i++) {
              const code = codes[i] - base;
              if (counts[code]++ === 0) touched[n++] = code;
            }
          }
        }
        let best = touched[0];
        for (let m = 1; m < n; m++) {
          const code = touched[m];
          if (counts[code] > counts[best] || (counts[code] === counts[best] && code < best)) best = code;
        }
        out[b] = decode ? decode[best] : best + base;
        for (let m = 0; m < n; m++) counts[touched[m]] = 0;
      }
    }
  }
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
  // Level 1: a 4M-voxel CT copy compresses to 2.77 MB in 0.08 s, against 2.57 MB in 0.48 s at 6.
  return gzipSync(Buffer.concat([header, data]), { level: 1 });
}
