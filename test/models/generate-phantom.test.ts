import { describe, expect, it } from 'vitest';
import { generatePhantom } from '../../functions/tools/phantom/phantom.js';
import { scaleIntensity } from '../../functions/steps/preprocess/intensity.js';
import { phantomSentences } from '../../models/generate/index.js';
import { dice } from '../helpers/dice.js';
import { forwardWindow, useGeneratedModel } from '../helpers/models.js';

const model = useGeneratedModel('phantom');

/** The real text path: tokenizer -> text-encoder graph (not the precomputed table). */
async function encode(modality: 'CT' | 'MRI'): Promise<Float32Array> {
  const sentences = phantomSentences().filter((s) => s.modality === modality);
  expect(sentences).toHaveLength(5); // the five organs: N = 5 in every window below
  return model().text.encoder!.embed(sentences.map((s) => ({ sentence: s.sentence, modality })));
}

interface Window {
  image: Float32Array;
  labels: Uint8Array;
}

/**
 * A model-input window (H, W, D) = (y, x, z) of a phantom scaled to 0..255, generated on a grid
 * like stage 1's working grid (1.2, 1.2, 3.0 mm over the default field of view).
 */
const windows = new Map<string, Window>();
function phantomWindow(seed: number, modality: 'CT' | 'MRI', start: [number, number, number]): Window {
  const key = `${seed}/${modality}/${start.join(',')}`;
  const known = windows.get(key);
  if (known) return known;
  const [X, Y, Z] = [85, 85, 40];
  const p = generatePhantom({ seed, modality, size: [X, Y, Z], spacing: [1.2, 1.2, 3.0] });
  const scaled = scaleIntensity(p.image.data, { modality }).data;
  const [H, W, D] = model().stage(1).patch;
  const [x0, y0, z0] = start;
  const image = new Float32Array(H * W * D);
  const labels = new Uint8Array(H * W * D);
  for (let h = 0; h < H; h++) {
    for (let w = 0; w < W; w++) {
      for (let d = 0; d < D; d++) {
        const n = x0 + w + X * (y0 + h + Y * (z0 + d));
        image[(h * W + w) * D + d] = scaled[n];
        labels[(h * W + w) * D + d] = p.labels.data[n];
      }
    }
  }
  windows.set(key, { image, labels });
  return { image, labels };
}

/** Per voxel the class (1..N) with the highest logit if its sigmoid is >= 0.5, else 0. */
function labelMap(logits: Float32Array, n: number): Uint8Array {
  const V = logits.length / n;
  const out = new Uint8Array(V);
  for (let v = 0; v < V; v++) {
    let best = 0;
    let bestLogit = 0;
    for (let c = 0; c < n; c++) {
      const x = logits[c * V + v];
      if (x >= bestLogit) {
        bestLogit = x;
        best = c + 1;
      }
    }
    out[v] = best;
  }
  return out;
}

describe('phantom model', () => {
  it('gives the five organs distinct embeddings through tokenizer and text encoder', async () => {
    const E = model().embeddingWidth;
    for (const modality of ['CT', 'MRI'] as const) {
      const q = await encode(modality);
      for (let i = 0; i < 5; i++) {
        for (let j = i + 1; j < 5; j++) {
          let d = 0;
          for (let k = 0; k < E; k++) d += (q[i * E + k] - q[j * E + k]) ** 2;
          expect(Math.sqrt(d)).toBeGreaterThan(0.05);
        }
      }
      // The precomputed table holds the same vectors.
      const sentences = phantomSentences().filter((s) => s.modality === modality);
      sentences.forEach((s, i) => {
        const row = model().text.table!.get(s.sentence, modality)!;
        for (let k = 0; k < E; k++) expect(Math.abs(row[k] - q[i * E + k])).toBeLessThan(1e-6);
      });
    }
    const ct = await encode('CT');
    const mri = await encode('MRI');
    expect(Array.from(ct.subarray(0, E))).not.toEqual(Array.from(mri.subarray(0, E)));
  });

  it('segments the CT phantom organs in a stage-1 window from text alone (DSC >= 0.8)', async () => {
    const queries = await encode('CT');
    for (const seed of [0, 1]) {
      const w = phantomWindow(seed, 'CT', [20, 20, 8]);
      const pred = labelMap(await forwardWindow(model(), 1, queries, w.image), 5);
      for (let label = 1; label <= 5; label++) {
        const truth = w.labels.reduce((n, v) => n + (v === label ? 1 : 0), 0);
        expect(truth, `seed ${seed} label ${label} present in the window`).toBeGreaterThan(200);
        expect(dice(pred, w.labels, label), `seed ${seed} label ${label}`).toBeGreaterThanOrEqual(0.8);
      }
    }
  });

  it('segments the MRI phantom roughly (liver, spleen, right kidney, aorta)', async () => {
    const queries = await encode('MRI');
    const w = phantomWindow(0, 'MRI', [20, 20, 8]);
    const pred = labelMap(await forwardWindow(model(), 1, queries, w.image), 5);
    for (const label of [1, 2, 4, 5])
      expect(dice(pred, w.labels, label), `label ${label}`).toBeGreaterThan(0.75);
  });

  it('changes its output measurably with a mask prompt', async () => {
    const queries = await encode('CT');
    const w = phantomWindow(0, 'CT', [20, 20, 8]);
    const V = w.image.length;
    const plain = await forwardWindow(model(), 1, queries, w.image);
    // Prompt the liver (class 0) with its ground truth grown by the whole window's soft tissue
    // label: sc = mc[liver] = (label is liver or body).
    const sc = new Float32Array(V);
    const mc = new Float32Array(5 * V);
    for (let v = 0; v < V; v++) {
      if (w.labels[v] === 1 || w.labels[v] === 6) sc[v] = mc[v] = 1;
    }
    const prompted = await forwardWindow(model(), 1, queries, w.image, { sc, mc });
    let raised = 0;
    let lowered = 0;
    for (let v = 0; v < V; v++) {
      if (mc[v] === 1 && prompted[v] - plain[v] > 0.9) raised++;
      if (sc[v] === 1 && prompted[2 * V + v] - plain[2 * V + v] < -0.9) lowered++;
    }
    const prompt = sc.reduce((a, b) => a + b, 0);
    expect(raised / prompt).toBeGreaterThan(0.5);
    expect(lowered / prompt).toBeGreaterThan(0.5);
    const before = labelMap(plain, 5);
    const after = labelMap(prompted, 5);
    let changed = 0;
    for (let v = 0; v < V; v++) if (before[v] !== after[v]) changed++;
    expect(changed).toBeGreaterThan(20);
  });

  it('segments nothing for a sentence naming no organ it knows, or an unsupported modality', async () => {
    const q = await model().text.encoder!.embed([
      { sentence: 'Stomach in abdominal CT', modality: 'CT' },
      { sentence: 'Liver in abdominal CT', modality: 'US' },
    ]);
    const w = phantomWindow(0, 'CT', [20, 20, 8]);
    const logits = await forwardWindow(model(), 1, q, w.image);
    expect(logits.reduce((m, v) => Math.max(m, v), -Infinity)).toBeLessThan(-10);
  });

  it('runs its stage-2 graph on the stage-2 patch', async () => {
    const [H, W, D] = model().stage(2).patch;
    const q = (await encode('CT')).subarray(0, model().embeddingWidth);
    // Checks that the logits are (1, 1, H, W, D).
    const logits = await forwardWindow(model(), 2, q, new Float32Array(H * W * D).fill(140));
    // A uniform liver-bright image is liver everywhere.
    expect(logits.reduce((m, v) => Math.min(m, v), Infinity)).toBeGreaterThan(1);
  });
});
