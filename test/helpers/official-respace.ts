/**
 * The official Medal S label resampling for stage 2's prompts, re-derived in plain TypeScript as
 * a test oracle (brute force, independent of functions/lib/resample/resample.ts and native/): respace_mask
 * (inference.py L269-279) = resample_torch_fornnunet(is_seg=True, separate_z_anisotropy_threshold
 * = 3) (data/resample_torch.py L98-160) over resample_torch_simple (L16-95), on arrays in the
 * official (H, W, D) = (y, x, z) order:
 *   - resample_torch_simple(is_seg=True): the sorted unique values of the whole input; per value
 *     a one-hot float32 channel x 1000, interpolated by F.interpolate, stored in a float16 array;
 *     where it is > 700 the value is written (later values over earlier); the rest takes the
 *     value of the first maximum of the float16 channels (torch argmax);
 *   - F.interpolate (CPU): per spatial axis torch's source index and weights (align_corners
 *     False, float32 scale in / out), axes nested with the first spatial axis outermost, each
 *     level t0 * w0 + t1 * w1 evaluated as torch's AVX2 kernel does, as fmaf(t0, w0, t1 * w1)
 *     (computed here exactly with BigInt); 'nearest-exact' copies index floor(real + 0.5);
 *   - separate-z (a thick axis): the data rearranged to (thick, other0, other1), every slice
 *     resampled in plane by resample_torch_simple (bilinear, unique values over the whole
 *     volume), then the whole volume by resample_torch_simple with mode 'nearest-exact'.
 * The float32 details (the fma, the order of the axes, torch's index arithmetic) were checked
 * once against torch 2.5.1 running the official resample_torch_fornnunet (CPU): a numpy
 * transcription of these rules equal on 200 random cases (18 M voxels), and respaceLabels,
 * which this oracle checks, equal on 200 more (5.1 M voxels).
 */
import type { Vec3, Volume } from '../../functions/lib/geometry/volume.js';
import { fromFloat16Bits, toFloat16Bits } from '../../functions/lib/model/float16.js';

// ---------------------------------------------------------------------------------------------
// Exact float32 arithmetic for the oracle
// ---------------------------------------------------------------------------------------------

const f32 = Math.fround;

/** x = m * 2^e exactly (x a finite double). */
function parts(x: number): { m: bigint; e: number } {
  if (x === 0) return { m: 0n, e: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const exp = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  return exp === 0 ? { m: sign * frac, e: -1074 } : { m: sign * (frac | (1n << 52n)), e: exp - 1075 };
}

/** a * b + c rounded once to float32 (to nearest, ties to even): C's fmaf. */
export function fmaf(a: number, b: number, c: number): number {
  const pa = parts(a);
  const pb = parts(b);
  const pc = parts(c);
  const mp = pa.m * pb.m;
  const ep = pa.e + pb.e;
  const e = Math.min(ep, pc.e);
  const n = (mp << BigInt(ep - e)) + (pc.m << BigInt(pc.e - e));
  if (n === 0n) return 0;
  const negative = n < 0n;
  let abs = negative ? -n : n;
  const bits = abs.toString(2).length;
  let shift = bits - 24; // float32 keeps 24 significant bits (the values here are normal)
  if (shift > 0) {
    const s = BigInt(shift);
    const q = abs >> s;
    const rest = abs - (q << s);
    const half = 1n << (s - 1n);
    abs = rest > half || (rest === half && (q & 1n) === 1n) ? q + 1n : q;
  } else {
    shift = 0;
  }
  const value = Number(abs) * 2 ** (e + shift);
  return negative ? -value : value;
}

const half = (x: number) => fromFloat16Bits(toFloat16Bits(x));

// ---------------------------------------------------------------------------------------------
// The official resampling, re-derived on C-order arrays
// ---------------------------------------------------------------------------------------------

/** A C-order array (last axis fastest), as numpy and torch hold them. */
interface Nd {
  shape: number[];
  data: number[];
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let a = shape.length - 2; a >= 0; a--) s[a] = s[a + 1] * shape[a + 1];
  return s;
}

/** torch's linear source index and weights for one output index (UpSample.h). */
export function torchLinear(nIn: number, nOut: number, t: number): [number, number, number, number] {
  if (nIn === nOut) return [t, t, 1, 0];
  const scale = f32(nIn / nOut);
  let src = f32(f32(scale * f32(t + 0.5)) - 0.5);
  if (src < 0) src = 0;
  const i0 = Math.min(Math.floor(src), nIn - 1);
  const w1 = Math.min(Math.max(f32(src - i0), 0), 1);
  return [i0, i0 < nIn - 1 ? i0 + 1 : i0, f32(1 - w1), w1];
}

/** torch's 'nearest-exact' source index (UpSample.h, its kernel fusing the multiply-add). */
export function torchNearestExact(nIn: number, nOut: number, t: number): number {
  const scale = f32(nIn / nOut);
  let real = fmaf(scale, t + 0.5, -0.5);
  if (real < 0) real = 0;
  return Math.min(Math.floor(f32(real + 0.5)), nIn - 1);
}

/**
 * F.interpolate of one channel (spatial dims only) to `size`: linear (bilinear / trilinear) or
 * 'nearest-exact'. Linear levels nest with axis 0 outermost: evaluated innermost axis first.
 */
function interpolate(x: Nd, size: readonly number[], mode: 'linear' | 'nearest-exact'): Nd {
  let cur = x;
  for (let axis = x.shape.length - 1; axis >= 0; axis--) {
    const nIn = cur.shape[axis];
    const nOut = size[axis];
    const shape = [...cur.shape];
    shape[axis] = nOut;
    const st = strides(cur.shape);
    const so = strides(shape);
    const total = shape.reduce((a, b) => a * b, 1);
    const data = new Array<number>(total);
    for (let o = 0; o < total; o++) {
      // Output multi-index -> input offsets along `axis`.
      let rest = o;
      let base = 0;
      let t = 0;
      for (let a = 0; a < shape.length; a++) {
        const i = Math.floor(rest / so[a]);
        rest -= i * so[a];
        if (a === axis) t = i;
        else base += i * st[a];
      }
      if (mode === 'nearest-exact') {
        data[o] = cur.data[base + torchNearestExact(nIn, nOut, t) * st[axis]];
      } else {
        const [i0, i1, w0, w1] = torchLinear(nIn, nOut, t);
        const t0 = cur.data[base + i0 * st[axis]];
        const t1 = cur.data[base + i1 * st[axis]];
        data[o] = fmaf(t0, w0, f32(t1 * w1));
      }
    }
    cur = { shape, data };
  }
  return cur;
}

/** resample_torch_simple(data (c, ...spatial), newShape, is_seg=True, mode). */
function torchSimpleSeg(x: Nd, newShape: readonly number[], mode: 'linear' | 'nearest-exact'): Nd {
  const [c, ...spatial] = x.shape;
  if (spatial.every((n, a) => n === newShape[a])) return x;
  const unique = [...new Set(x.data)].sort((a, b) => a - b);
  const per = spatial.reduce((a, b) => a * b, 1);
  const perOut = newShape.reduce((a, b) => a * b, 1);
  const result = new Array<number>(c * perOut).fill(0);
  const done = new Array<boolean>(c * perOut).fill(false);
  const tmp: number[][] = unique.map(() => new Array<number>(c * perOut));
  unique.forEach((u, i) => {
    for (let ch = 0; ch < c; ch++) {
      const oneHot = {
        shape: spatial,
        data: x.data.slice(ch * per, (ch + 1) * per).map((v) => (v === u ? 1000 : 0)),
      };
      const out = interpolate(oneHot, newShape, mode);
      for (let v = 0; v < perOut; v++) tmp[i][ch * perOut + v] = half(out.data[v]); // float16 array
    }
    for (let v = 0; v < c * perOut; v++) {
      if (tmp[i][v] > 700) {
        result[v] = u;
        done[v] = true;
      }
    }
  });
  for (let v = 0; v < c * perOut; v++) {
    if (done[v]) continue;
    let best = 0;
    for (let i = 1; i < unique.length; i++) if (tmp[i][v] > tmp[best][v]) best = i;
    result[v] = unique[best];
  }
  return { shape: [c, ...newShape], data: result };
}

/** resample_torch_fornnunet(data (1, H, W, D), newShape, is_seg=True) with its thick axis or none. */
function officialRespace(x: Nd, newShape: Vec3, thick: number | null): Nd {
  if (thick === null) return torchSimpleSeg(x, newShape, 'linear');
  const others = [0, 1, 2].filter((a) => a !== thick);
  const [, ...spatial] = x.shape;
  const st = strides(spatial);
  // "c x y z -> (c thick) other0 other1"
  const slices: number[] = [];
  for (let s = 0; s < spatial[thick]; s++)
    for (let i = 0; i < spatial[others[0]]; i++)
      for (let j = 0; j < spatial[others[1]]; j++)
        slices.push(x.data[s * st[thick] + i * st[others[0]] + j * st[others[1]]]);
  const inPlane = torchSimpleSeg(
    { shape: [spatial[thick], spatial[others[0]], spatial[others[1]]], data: slices },
    [newShape[others[0]], newShape[others[1]]],
    'linear',
  );
  // back to "c x y z" with the in-plane sizes changed
  const mid = [...spatial];
  mid[others[0]] = newShape[others[0]];
  mid[others[1]] = newShape[others[1]];
  const sm = strides(mid);
  const back = new Array<number>(mid[0] * mid[1] * mid[2]);
  let n = 0;
  for (let s = 0; s < mid[thick]; s++)
    for (let i = 0; i < mid[others[0]]; i++)
      for (let j = 0; j < mid[others[1]]; j++)
        back[s * sm[thick] + i * sm[others[0]] + j * sm[others[1]]] = inPlane.data[n++];
  return torchSimpleSeg({ shape: [1, ...mid], data: back }, newShape, 'nearest-exact');
}

/** A medals volume (x, y, z) as the official (1, H, W, D) = (1, y, x, z) C-order array. */
function toOfficial(v: Volume): Nd {
  const [X, Y, Z] = v.size;
  const data: number[] = [];
  for (let y = 0; y < Y; y++)
    for (let x = 0; x < X; x++) for (let z = 0; z < Z; z++) data.push(v.get(x, y, z));
  return { shape: [1, Y, X, Z], data };
}

function fromOfficial(a: Nd): number[] {
  const [, Y, X, Z] = a.shape;
  const out = new Array<number>(X * Y * Z);
  let n = 0;
  for (let y = 0; y < Y; y++)
    for (let x = 0; x < X; x++) for (let z = 0; z < Z; z++) out[x + X * (y + Y * z)] = a.data[n++];
  return out;
}

/** The official result for a medals volume: shape (x, y, z), thick axis as an (x, y, z) index. */
export function official(v: Volume, shape: Vec3, thickXyz: number | null): number[] {
  const hwd = (s: readonly number[]) => [s[1], s[0], s[2]] as Vec3;
  const thick = thickXyz === null ? null : [1, 0, 2][thickXyz];
  return fromOfficial(officialRespace(toOfficial(v), hwd(shape), thick));
}

/**
 * determine_do_sep_z_and_axis(None, current, new, 3) (data/default_resampling.py L36-69) for
 * (H, W, D) spacings: the current spacing's largest axis when its max / min > 3, else the new
 * spacing's; none when two or three axes share the maximum. `current` is float32 there (its
 * ratio a float32 division).
 */
export function officialSeparateAxis(current: Readonly<Vec3>, next: Readonly<Vec3>): number | null {
  const decide = (s: Readonly<Vec3>, float32: boolean): number | null | 'none' => {
    const max = Math.max(...s);
    const ratio = max / Math.min(...s);
    if (!((float32 ? Math.fround(ratio) : ratio) > 3)) return null;
    const axes = [0, 1, 2].filter((a) => (float32 ? Math.fround(max / s[a]) : max / s[a]) === 1);
    return axes.length === 1 ? axes[0] : 'none';
  };
  const fromCurrent = decide(current, true);
  const axis = fromCurrent === null ? decide(next, false) : fromCurrent;
  return axis === null || axis === 'none' ? null : axis;
}
