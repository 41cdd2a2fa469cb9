/**
 * The `conv` model: seeded random weights in the shape of Medal S's inference path, for the
 * sliding-window stitching test and the parallel-vs-sequential prompting benchmark.
 *
 *   image path (independent of N, >= 95 % of the MACs for N <= 66):
 *     x = [image / 255, sc_prompt]                       (1, 2, H, W, D)
 *     P = lrelu(conv 3x3x3, 2 -> 16) -> lrelu(conv 3x5x1, 16 -> 16) -> lrelu(conv 3x3x3, 16 -> 16)
 *   per class:
 *     m = lrelu(queries @ Wq + bq)                       (N, 4)    mask embeddings
 *     enh = einsum('bnhwd,bcn->bchwd', mc_prompt, m^T)   (1, 4, H, W, D)  prompt fusion
 *     F = lrelu(conv 1x1x1([P, enh]), 20 -> 4)
 *     logits = einsum('bchwd,bnc->bnhwd', F, m)          (MatMul)
 *
 * No normalisation layer and no positional term: the network is translation-equivariant with a
 * finite receptive field (radius 3, 4, 2 voxels in H, W, D), so a sliding-window evaluation equals
 * a whole-volume one away from window edges. The 3x5x1 kernel has three different extents, so
 * swapping any two axes changes the output. LeakyReLU slope 0.01 as in Medal S.
 * `evaluateConvModel` is the plain TypeScript evaluation of the same network on any volume size.
 */
import { SeededRandom } from '../../functions/lib/core/random.js';
import { MEDALS_MODALITY_IDS, type StageDtype } from '../../functions/lib/model/manifest.js';
import { WordPieceTokenizer } from '../../functions/steps/segment/tokenizer.js';
import { withFloat16Io } from '../onnx/float16-io.js';
import { GraphBuilder, attr } from '../onnx/graph-builder.js';
import { encodeModel } from '../onnx/onnx-schema.js';
import {
  type GeneratedModel,
  type StageGrids,
  type TextEncoderWeights,
  contractModel,
  normalArray,
  stageInputs,
} from './common.js';
import { phantomSentences } from './phantom.js';

const CONV_MODEL_NAME = 'conv';
const CONV_DEFAULT_SEED = 6;
export const CONV_EMBEDDING_WIDTH = 32;
/** Image-path channels and mask-embedding channels. */
const CONV_CHANNELS = 16;
const CONV_HEAD_CHANNELS = 4;
const LEAKY_SLOPE = 0.01;

const CONV_STAGES: StageGrids = {
  1: { patch: [32, 32, 16], targetSpacing: [1.5, 1.5, 3.0] },
  2: { patch: [32, 32, 32], targetSpacing: [1.0, 1.0, 1.0] },
};

type K3 = [number, number, number];

/** Image-path layers: in channels, out channels, kernel (kH, kW, kD). */
const IMAGE_LAYERS: { cin: number; cout: number; kernel: K3 }[] = [
  { cin: 2, cout: CONV_CHANNELS, kernel: [3, 3, 3] },
  { cin: CONV_CHANNELS, cout: CONV_CHANNELS, kernel: [3, 5, 1] },
  { cin: CONV_CHANNELS, cout: CONV_CHANNELS, kernel: [3, 3, 3] },
];

/** How far (voxels, H, W, D) an output voxel sees: the sum of the kernels' half extents. */
export const CONV_RECEPTIVE_RADIUS: K3 = IMAGE_LAYERS.reduce(
  (r, l) => [r[0] + (l.kernel[0] - 1) / 2, r[1] + (l.kernel[1] - 1) / 2, r[2] + (l.kernel[2] - 1) / 2] as K3,
  [0, 0, 0] as K3,
);

interface ConvLayer {
  /** (cout, cin, kH, kW, kD) */
  shape: [number, number, number, number, number];
  weight: Float32Array;
  bias: Float32Array;
}

interface ConvModelWeights {
  seed: number;
  embeddingWidth: number;
  image: ConvLayer[];
  /** (E x CONV_HEAD_CHANNELS) and (CONV_HEAD_CHANNELS) */
  query: { weight: Float32Array; bias: Float32Array };
  /** 1x1x1 conv, (CONV_HEAD_CHANNELS, CONV_CHANNELS + CONV_HEAD_CHANNELS, 1, 1, 1) */
  fusion: ConvLayer;
  text: TextEncoderWeights;
  vocabulary: string[];
}

function convVocabulary(): string[] {
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
  const probe = new WordPieceTokenizer(specials, {});
  const words = new Set<string>();
  for (const s of phantomSentences()) for (const w of probe.basicTokenize(s.sentence)) words.add(w);
  for (const c of chars) words.delete(c);
  // Single characters and their continuations: every ASCII word splits into known pieces.
  return [...specials, ...chars, ...chars.map((c) => `##${c}`), ...[...words].sort()];
}

/** The seeded weights (same seed, same numbers on every machine). */
export function convModelWeights(seed = CONV_DEFAULT_SEED): ConvModelWeights {
  const rng = new SeededRandom(seed);
  const normal = () => rng.normal();
  const layer = (cout: number, cin: number, k: K3): ConvLayer => {
    const fanIn = cin * k[0] * k[1] * k[2];
    return {
      shape: [cout, cin, ...k],
      weight: normalArray(normal, cout * fanIn, Math.sqrt(2 / fanIn)),
      bias: normalArray(normal, cout, 0.1),
    };
  };
  const image = IMAGE_LAYERS.map((l) => layer(l.cout, l.cin, l.kernel));
  const E = CONV_EMBEDDING_WIDTH;
  const query = {
    weight: normalArray(normal, E * CONV_HEAD_CHANNELS, Math.sqrt(2 / E)),
    bias: normalArray(normal, CONV_HEAD_CHANNELS, 0.1),
  };
  const fusion = layer(CONV_HEAD_CHANNELS, CONV_CHANNELS + CONV_HEAD_CHANNELS, [1, 1, 1]);
  const vocabulary = convVocabulary();
  const modalities = Object.keys(MEDALS_MODALITY_IDS).length;
  const text: TextEncoderWeights = {
    vocabSize: vocabulary.length,
    width: E,
    tokenEmbeddings: normalArray(normal, vocabulary.length * E, 1),
    modalityEmbeddings: normalArray(normal, modalities * E, 1),
    projection: {
      w1: normalArray(normal, E * E, Math.sqrt(1 / E)),
      b1: normalArray(normal, E, 0.1),
      w2: normalArray(normal, E * E, Math.sqrt(1 / E)),
      b2: normalArray(normal, E, 0.1),
    },
  };
  return { seed, embeddingWidth: E, image, query, fusion, text, vocabulary };
}

/** The stage graph for one patch (H, W, D). */
function buildConvStageGraph(
  w: ConvModelWeights,
  patch: readonly [number, number, number],
  dtype: StageDtype = 'float32',
): Uint8Array {
  const [H, W, D] = patch;
  const E = w.embeddingWidth;
  const Ch = CONV_HEAD_CHANNELS;
  const g = new GraphBuilder(`conv_stage_${H}x${W}x${D}`);
  const { queries, image, sc, mc } = stageInputs(g, patch, E);
  const i64 = (name: string, data: number[]) =>
    g.initializer(name, { dtype: 'int64', dims: [data.length], data });
  const lrelu = (x: string) => g.node('LeakyRelu', [x], { alpha: attr.float(LEAKY_SLOPE) })[0];
  const conv = (x: string, l: ConvLayer, name: string) => {
    const [, , kh, kw, kd] = l.shape;
    const wt = g.initializer(`${name}_w`, { dtype: 'float32', dims: l.shape, data: l.weight });
    const b = g.initializer(`${name}_b`, { dtype: 'float32', dims: [l.shape[0]], data: l.bias });
    const pads = [(kh - 1) / 2, (kw - 1) / 2, (kd - 1) / 2];
    return g.node('Conv', [x, wt, b], {
      kernel_shape: attr.ints([kh, kw, kd]),
      pads: attr.ints([...pads, ...pads]),
    })[0];
  };

  const [scaled] = g.node('Mul', [
    image,
    g.initializer('inv_255', { dtype: 'float32', dims: [], data: [1 / 255] }),
  ]);
  let [x] = g.node('Concat', [scaled, sc], { axis: attr.int(1) });
  w.image.forEach((l, i) => (x = lrelu(conv(x, l, `image${i + 1}`))));

  const wq = g.initializer('query_w', { dtype: 'float32', dims: [E, Ch], data: w.query.weight });
  const bq = g.initializer('query_b', { dtype: 'float32', dims: [Ch], data: w.query.bias });
  const [q0] = g.node('MatMul', [queries, wq]);
  const [q1] = g.node('Add', [q0, bq]);
  const m = lrelu(q1);

  const voxels = H * W * D;
  const [mcFlat] = g.node('Reshape', [mc, i64('mc_flat', [-1, voxels])]);
  const [mT] = g.node('Transpose', [m], { perm: attr.ints([1, 0]) });
  const [enhFlat] = g.node('MatMul', [mT, mcFlat]);
  const [enh] = g.node('Reshape', [enhFlat, i64('enh_shape', [1, Ch, H, W, D])]);
  const [cat] = g.node('Concat', [x, enh], { axis: attr.int(1) });
  const fused = lrelu(conv(cat, w.fusion, 'fusion'));
  const [fusedFlat] = g.node('Reshape', [fused, i64('fused_flat', [Ch, voxels])]);
  const [logitsFlat] = g.node('MatMul', [m, fusedFlat]);
  g.node('Reshape', [logitsFlat, i64('logits_shape', [1, -1, H, W, D])], {}, { outputs: ['logits'] });
  g.output('logits', 'float32', [1, 'N', H, W, D]);
  const model = g.toModel({ producerName: 'medals-generate', docString: 'medals conv model stage graph' });
  return encodeModel(dtype === 'float16' ? withFloat16Io(model) : model);
}

interface ConvInputs {
  /** (H, W, D) of this evaluation: any size (the whole volume), not only the patch. */
  shape: readonly [number, number, number];
  /** Classes. */
  n: number;
  /** (N x E) */
  queries: Float32Array;
  /** (H x W x D), D fastest */
  image: Float32Array;
  /** (H x W x D), or omitted for zeros */
  scPrompt?: Float32Array;
  /** (N x H x W x D), or omitted for zeros */
  mcPrompt?: Float32Array;
}

const leaky = (v: number) => (v >= 0 ? v : v * LEAKY_SLOPE);

/**
 * ONNX Conv (group 1, stride 1, zero "same" padding of (k - 1) / 2 per side) on a (C, H, W, D)
 * volume, accumulated in float64 and stored as float32 like conv3dReference (which this matches,
 * see test/model-conv.test.ts), with loops ordered for speed: whole-volume evaluations in tests.
 */
export function convSame(
  input: Float32Array,
  channels: number,
  shape: readonly [number, number, number],
  layer: ConvLayer,
): Float32Array {
  const [H, W, D] = shape;
  const V = H * W * D;
  const [cout, cin, kh, kw, kd] = layer.shape;
  if (cin !== channels) throw new Error(`layer takes ${cin} channels, input has ${channels}`);
  if (input.length !== channels * V) throw new Error('input length does not match channels x shape');
  const [ph, pw, pd] = [(kh - 1) / 2, (kw - 1) / 2, (kd - 1) / 2];
  const out = new Float32Array(cout * V);
  const acc = new Float64Array(V);
  for (let oc = 0; oc < cout; oc++) {
    acc.fill(layer.bias[oc]);
    for (let ic = 0; ic < cin; ic++) {
      const src = ic * V;
      for (let i = 0; i < kh; i++) {
        const dh = i - ph;
        const h0 = Math.max(0, -dh);
        const h1 = Math.min(H, H - dh);
        for (let j = 0; j < kw; j++) {
          const dw = j - pw;
          const w0 = Math.max(0, -dw);
          const w1 = Math.min(W, W - dw);
          for (let k = 0; k < kd; k++) {
            const dd = k - pd;
            const d0 = Math.max(0, -dd);
            const d1 = Math.min(D, D - dd);
            const wt = layer.weight[(((oc * cin + ic) * kh + i) * kw + j) * kd + k];
            if (wt === 0) continue;
            for (let h = h0; h < h1; h++) {
              for (let w = w0; w < w1; w++) {
                const o = (h * W + w) * D;
                const s = src + ((h + dh) * W + (w + dw)) * D + dd;
                for (let d = d0; d < d1; d++) acc[o + d] += wt * input[s + d];
              }
            }
          }
        }
      }
    }
    for (let v = 0; v < V; v++) out[oc * V + v] = acc[v];
  }
  return out;
}

/**
 * Plain TypeScript evaluation of the conv network (float64 accumulation): logits (N x H x W x D)
 * for a volume of any size, zero padding at its borders as in every window.
 */
export function evaluateConvModel(w: ConvModelWeights, inputs: ConvInputs): Float32Array {
  const [H, W, D] = inputs.shape;
  const V = H * W * D;
  const N = inputs.n;
  const E = w.embeddingWidth;
  const Ch = CONV_HEAD_CHANNELS;
  if (inputs.image.length !== V) throw new Error(`image has ${inputs.image.length} voxels, shape says ${V}`);
  if (inputs.queries.length !== N * E)
    throw new Error(`queries has ${inputs.queries.length} values, expected ${N * E}`);
  let x = new Float32Array(2 * V);
  for (let i = 0; i < V; i++) x[i] = inputs.image[i] / 255;
  if (inputs.scPrompt) x.set(inputs.scPrompt, V);
  let channels = 2;
  for (const l of w.image) {
    x = convSame(x, channels, inputs.shape, l).map(leaky);
    channels = l.shape[0];
  }
  // Mask embeddings (N x Ch).
  const m = new Float64Array(N * Ch);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < Ch; c++) {
      let s = w.query.bias[c];
      for (let e = 0; e < E; e++) s += inputs.queries[n * E + e] * w.query.weight[e * Ch + c];
      m[n * Ch + c] = leaky(Math.fround(s));
    }
  }
  const cat = new Float32Array((channels + Ch) * V);
  cat.set(x, 0);
  if (inputs.mcPrompt) {
    for (let c = 0; c < Ch; c++) {
      const row = (channels + c) * V;
      for (let n = 0; n < N; n++) {
        const mv = m[n * Ch + c];
        if (mv === 0) continue;
        const src = n * V;
        for (let i = 0; i < V; i++) cat[row + i] += inputs.mcPrompt[src + i] * mv;
      }
    }
  }
  const fused = convSame(cat, channels + Ch, inputs.shape, w.fusion).map(leaky);
  const out = new Float32Array(N * V);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < V; i++) {
      let s = 0;
      for (let c = 0; c < Ch; c++) s += m[n * Ch + c] * fused[c * V + i];
      out[n * V + i] = s;
    }
  }
  return out;
}

/** Multiply-accumulates per voxel: the image path, and the N-dependent rest, for N classes. */
export function convModelMacs(n: number): {
  imagePath: number;
  perClass: number;
  fusion: number;
  share: number;
} {
  const imagePath = IMAGE_LAYERS.reduce(
    (s, l) => s + l.cin * l.cout * l.kernel[0] * l.kernel[1] * l.kernel[2],
    0,
  );
  const fusion = CONV_HEAD_CHANNELS * (CONV_CHANNELS + CONV_HEAD_CHANNELS);
  // Prompt einsum and head einsum, each Ch MACs per class and voxel.
  const perClass = 2 * CONV_HEAD_CHANNELS * n;
  return { imagePath, perClass, fusion, share: imagePath / (imagePath + fusion + perClass) };
}

interface ConvModelOptions {
  seed?: number;
  stageDtype?: StageDtype;
}

/** The conv model folder in memory (deterministic: same options, same bytes). */
export function buildConvModel(options: ConvModelOptions = {}): GeneratedModel {
  const seed = options.seed ?? CONV_DEFAULT_SEED;
  const dtype = options.stageDtype ?? 'float32';
  const w = convModelWeights(seed);
  const stage = (n: 1 | 2) => ({
    bytes: buildConvStageGraph(w, CONV_STAGES[n].patch, dtype),
    ...CONV_STAGES[n],
  });
  return contractModel({
    name: CONV_MODEL_NAME,
    description:
      'Seeded random convolutional model of the Medal S contract (class-independent image path, per-class ' +
      'prompt fusion and einsum head) for stitching tests and benchmarks. Segments nothing meaningful.',
    dtype,
    stages: { 1: stage(1), 2: stage(2) },
    text: w.text,
    vocabulary: w.vocabulary,
    sentences: phantomSentences(),
    table: 'f32le',
    generator: {
      name: CONV_MODEL_NAME,
      seed,
      receptiveFieldRadius: CONV_RECEPTIVE_RADIUS,
      leakySlope: LEAKY_SLOPE,
      macsPerVoxel: {
        imagePath: convModelMacs(0).imagePath,
        fusion: convModelMacs(0).fusion,
        perClass: 2 * CONV_HEAD_CHANNELS,
      },
    },
  });
}
