/** ONNX Conv semantics for 3D (NCDHW), group 1; the test oracle for generated conv models. */
interface Conv3dParams {
  input: Float32Array;
  /** [N, C, D, H, W] */
  inputShape: readonly [number, number, number, number, number];
  weight: Float32Array;
  /** [M, C, kD, kH, kW] */
  weightShape: readonly [number, number, number, number, number];
  bias?: Float32Array;
  /** ONNX order: [dBegin, hBegin, wBegin, dEnd, hEnd, wEnd]; default zeros. */
  pads?: readonly number[];
  strides?: readonly [number, number, number];
  dilations?: readonly [number, number, number];
}

interface Conv3dResult {
  data: Float32Array;
  shape: [number, number, number, number, number];
}

export function conv3dReference(p: Conv3dParams): Conv3dResult {
  const [n, c, d, h, w] = p.inputShape;
  const [m, wc, kd, kh, kw] = p.weightShape;
  const pads = p.pads ?? [0, 0, 0, 0, 0, 0];
  const [sd, sh, sw] = p.strides ?? [1, 1, 1];
  const [dd, dh, dw] = p.dilations ?? [1, 1, 1];
  if (wc !== c) throw new Error(`weight has ${wc} input channels, input has ${c}`);
  if (p.input.length !== n * c * d * h * w) throw new Error('input length does not match inputShape');
  if (p.weight.length !== m * c * kd * kh * kw) throw new Error('weight length does not match weightShape');
  if (p.bias && p.bias.length !== m) throw new Error(`bias has ${p.bias.length} values, expected ${m}`);
  if (pads.length !== 6) throw new Error('pads must have 6 values');

  const extent = (size: number, k: number, s: number, dil: number, lo: number, hi: number): number =>
    Math.floor((size + lo + hi - dil * (k - 1) - 1) / s) + 1;
  const od = extent(d, kd, sd, dd, pads[0], pads[3]);
  const oh = extent(h, kh, sh, dh, pads[1], pads[4]);
  const ow = extent(w, kw, sw, dw, pads[2], pads[5]);
  if (od <= 0 || oh <= 0 || ow <= 0) throw new Error('kernel larger than padded input');

  const out = new Float32Array(n * m * od * oh * ow);
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let oc = 0; oc < m; oc++) {
      for (let z = 0; z < od; z++) {
        for (let y = 0; y < oh; y++) {
          for (let x = 0; x < ow; x++) {
            // Accumulate in float64 so the oracle is at least as accurate as the engine under test.
            let acc = p.bias ? p.bias[oc] : 0;
            for (let ic = 0; ic < c; ic++) {
              for (let i = 0; i < kd; i++) {
                const iz = z * sd - pads[0] + i * dd;
                if (iz < 0 || iz >= d) continue;
                for (let j = 0; j < kh; j++) {
                  const iy = y * sh - pads[1] + j * dh;
                  if (iy < 0 || iy >= h) continue;
                  const inRow = (((b * c + ic) * d + iz) * h + iy) * w;
                  const wRow = (((oc * c + ic) * kd + i) * kh + j) * kw;
                  for (let k = 0; k < kw; k++) {
                    const ix = x * sw - pads[2] + k * dw;
                    if (ix < 0 || ix >= w) continue;
                    acc += p.input[inRow + ix] * p.weight[wRow + k];
                  }
                }
              }
            }
            out[o++] = acc;
          }
        }
      }
    }
  }
  return { data: out, shape: [n, m, od, oh, ow] };
}
