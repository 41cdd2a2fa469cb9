import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../functions/lib/core/random.js';
import {
  CONV_RECEPTIVE_RADIUS,
  convModelMacs,
  convModelWeights,
  convSame,
  evaluateConvModel,
} from '../../models/generate/index.js';
import { conv3dReference } from '../../models/onnx/conv3d-reference.js';
import { forwardWindow, useGeneratedModel } from '../helpers/models.js';

const model = useGeneratedModel('conv');
const weights = convModelWeights();

function random(seed: number, length: number, scale: number, offset = 0): Float32Array {
  const rng = new SeededRandom(seed);
  return Float32Array.from({ length }, () => offset + scale * rng.next());
}

async function queriesFor(n: number): Promise<Float32Array> {
  const organs = ['Liver', 'Spleen', 'Left kidney', 'Right kidney', 'Aorta', 'Pancreas', 'Stomach'];
  const got = await model().text.embed(
    organs.slice(0, n).map((o) => ({ sentence: `${o} in abdominal CT`, modality: 'CT' })),
  );
  return got.data;
}

function worstRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

describe('conv model', () => {
  it('runs with N = 1 and N = 5, and class 0 does not depend on N (no mask prompt)', async () => {
    const [H, W, D] = model().stage(1).patch;
    const V = H * W * D;
    const image = random(1, V, 255);
    const q5 = await queriesFor(5);
    const one = await forwardWindow(model(), 1, q5.subarray(0, model().embeddingWidth), image);
    const five = await forwardWindow(model(), 1, q5, image);
    expect(worstRelative(five.subarray(0, V), one)).toBeLessThan(1e-5);
    // The classes differ from each other.
    expect(worstRelative(five.subarray(V, 2 * V), five.subarray(0, V))).toBeGreaterThan(1e-2);
  });

  it('equals the plain TypeScript evaluation of the same network, prompts included', async () => {
    const [H, W, D] = model().stage(1).patch;
    const V = H * W * D;
    const n = 3;
    const q = await queriesFor(n);
    const image = random(2, V, 255);
    const sc = random(3, V, 1).map((v) => (v > 0.5 ? 1 : 0));
    const mc = random(4, n * V, 1).map((v) => (v > 0.7 ? 1 : 0));
    const onnx = await forwardWindow(model(), 1, q, image, { sc, mc });
    const ref = evaluateConvModel(weights, {
      shape: [H, W, D],
      n,
      queries: q,
      image,
      scPrompt: sc,
      mcPrompt: mc,
    });
    expect(worstRelative(onnx, ref)).toBeLessThan(1e-4);
    // Mask prompts matter (the fusion sums over classes, as in Medal S).
    const noPrompt = await forwardWindow(model(), 1, q, image, { sc });
    expect(worstRelative(noPrompt, onnx)).toBeGreaterThan(1e-3);
  });

  it('evaluates its convolutions as ONNX Conv does (checked against conv3dReference)', () => {
    const layer = weights.image[1]; // 16 -> 16, kernel 3 x 5 x 1
    const shape: [number, number, number] = [7, 6, 5];
    const input = random(6, 16 * 7 * 6 * 5, 2, -1);
    const ref = conv3dReference({
      input,
      inputShape: [1, 16, ...shape],
      weight: layer.weight,
      weightShape: layer.shape,
      bias: layer.bias,
      pads: [1, 2, 0, 1, 2, 0],
    });
    expect(worstRelative(convSame(input, 16, shape, layer), ref.data)).toBeLessThan(1e-6);
  });

  it('changes its output when any two axes are swapped (asymmetric kernels)', async () => {
    const S = 9;
    const V = S * S * S;
    const image = random(5, V, 255);
    const q = (await queriesFor(1)).slice();
    const at = (h: number, w: number, d: number) => (h * S + w) * S + d;
    const base = evaluateConvModel(weights, { shape: [S, S, S], n: 1, queries: q, image });
    const swaps: [string, (h: number, w: number, d: number) => number][] = [
      ['H<->W', (h, w, d) => at(w, h, d)],
      ['H<->D', (h, w, d) => at(d, w, h)],
      ['W<->D', (h, w, d) => at(h, d, w)],
    ];
    for (const [label, swapped] of swaps) {
      const permuted = new Float32Array(V);
      for (let h = 0; h < S; h++)
        for (let w = 0; w < S; w++)
          for (let d = 0; d < S; d++) permuted[swapped(h, w, d)] = image[at(h, w, d)];
      const out = evaluateConvModel(weights, { shape: [S, S, S], n: 1, queries: q, image: permuted });
      const back = new Float32Array(V);
      for (let h = 0; h < S; h++)
        for (let w = 0; w < S; w++) for (let d = 0; d < S; d++) back[at(h, w, d)] = out[swapped(h, w, d)];
      expect(worstRelative(back, base), label).toBeGreaterThan(1e-2);
    }
  });

  it('spends at least 95 % of its multiply-adds in the class-independent image path', () => {
    expect(convModelMacs(24).share).toBeGreaterThanOrEqual(0.95);
    expect(convModelMacs(46).share).toBeGreaterThanOrEqual(0.95);
    expect(CONV_RECEPTIVE_RADIUS).toEqual([3, 4, 2]);
    expect(model().manifest.generator).toMatchObject({ receptiveFieldRadius: [3, 4, 2], seed: 6 });
    expect([model().stage(1).patch, model().stage(2).patch]).toEqual([
      [32, 32, 16],
      [32, 32, 32],
    ]);
  });
});
