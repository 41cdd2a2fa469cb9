import { describe, expect, it } from 'vitest';
import { MEDALS_MODALITY_IDS } from '../../../functions/lib/model/manifest.js';
import {
  EmbeddingCache,
  EmbeddingTable,
  TextEmbedder,
} from '../../../functions/steps/segment/embedding-cache.js';
import { TextEncoderSession } from '../../../functions/steps/segment/text-encoder.js';
import { WordPieceTokenizer } from '../../../functions/steps/segment/tokenizer.js';
import { buildTextEncoderGraph, referenceTextEncoder } from '../../../models/generate/common.js';
import { convModelWeights } from '../../../models/generate/conv.js';
import { GraphBuilder } from '../../../models/onnx/graph-builder.js';

const W = convModelWeights(); // random token table with a Linear-GELU-Linear projection, E = 32
const E = W.embeddingWidth;
const tokenizer = new WordPieceTokenizer(W.vocabulary);
const options = { tokenizer, embeddingWidth: E, modalityIds: MEDALS_MODALITY_IDS };

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('text-encoder session', () => {
  it('embeds a batch in one run, matching the TypeScript reference of the graph', async () => {
    const enc = await TextEncoderSession.open(buildTextEncoderGraph(W.text), options);
    const queries = [
      { sentence: 'Liver in abdominal CT', modality: 'CT' as const },
      {
        sentence: 'Left renal structure identified via abdominal magnetic resonance T1 imaging',
        modality: 'MRI' as const,
      },
      { sentence: 'Liver in abdominal CT', modality: 'MRI' as const },
      { sentence: 'xyzzy', modality: 'US' as const },
    ];
    const out = await enc.embed(queries);
    expect(out.length).toBe(queries.length * E);
    expect(enc.runs).toBe(1);
    const ref = referenceTextEncoder(
      W.text,
      tokenizer.encode(queries.map((q) => q.sentence)),
      queries.map((q) => MEDALS_MODALITY_IDS[q.modality]),
    );
    expect(maxDiff(out, ref)).toBeLessThan(1e-5);
    // The modality changes the query; padding of the shorter sentences does not (mean over the mask).
    expect(maxDiff(out.subarray(0, E), out.subarray(2 * E, 3 * E))).toBeGreaterThan(0.1);
    const alone = await enc.embed([queries[0]]);
    expect(maxDiff(alone, out.subarray(0, E))).toBeLessThan(1e-5);
    await enc.release();
  });

  it('rejects a graph that breaks the contract with MODEL_CONTRACT naming the difference', async () => {
    const g = new GraphBuilder('bad_encoder');
    g.input('input_ids', 'int64', ['N', 'L']);
    g.input('attention_mask', 'int64', ['N', 'L']);
    const modality = g.input('modality', 'int64', ['N']);
    const table = g.initializer('t', { dtype: 'float32', dims: [5, 8], data: new Float32Array(40) });
    g.node('Gather', [table, modality], {}, { outputs: ['embeddings'] });
    g.output('embeddings', 'float32', ['N', 8]);
    await expect(
      TextEncoderSession.open(g.toBytes(), { ...options, where: 'bad.onnx' }),
    ).rejects.toMatchObject({
      code: 'MODEL_CONTRACT',
      message: expect.stringContaining(
        "bad.onnx: output 'embeddings' has shape [N, 8], the contract wants [N, 32]",
      ),
    });
  });
});

describe('embedding cache and table', () => {
  it('serves repeated (sentence, modality) pairs from the cache and encodes misses once', async () => {
    const enc = await TextEncoderSession.open(buildTextEncoderGraph(W.text), options);
    const embedder = new TextEmbedder({ width: E, encoder: enc });
    const a = { sentence: 'Aorta in abdominal CT', modality: 'CT' as const };
    const b = { sentence: 'Spleen in abdominal CT', modality: 'CT' as const };
    const first = await embedder.embed([a, b, a]);
    expect(first.sources).toEqual(['encoder', 'encoder', 'encoder']);
    expect(enc.runs).toBe(1);
    expect(maxDiff(first.data.subarray(0, E), first.data.subarray(2 * E))).toBe(0);
    const second = await embedder.embed([b, { ...a, modality: 'MRI' }, a]);
    expect(second.sources).toEqual(['cache', 'encoder', 'cache']);
    expect(enc.runs).toBe(2);
    expect(maxDiff(second.data.subarray(0, E), first.data.subarray(E, 2 * E))).toBe(0);
    expect(embedder.cache.size).toBe(3);
    await enc.release();
  });

  it('takes precomputed rows from the table and names the missing prompt when there is no encoder', async () => {
    const v = Float32Array.from({ length: E }, (_, i) => i);
    const table = new EmbeddingTable(E, [{ sentence: 'Liver in abdominal CT', modality: 'CT', vector: v }]);
    const embedder = new TextEmbedder({ width: E, table, modelName: "model 'x'" });
    const got = await embedder.embed([{ sentence: 'Liver in abdominal CT', modality: 'CT' }]);
    expect(got.sources).toEqual(['table']);
    expect(Array.from(got.data)).toEqual(Array.from(v));
    await expect(
      embedder.embed([{ sentence: 'Liver in abdominal CT', modality: 'MRI' }]),
    ).rejects.toMatchObject({
      code: 'UNKNOWN_CLASS',
      message:
        "model 'x' has no text encoder and its embedding table has no entry for 'Liver in abdominal CT' (MRI)",
    });
  });

  it('evicts the least recently used entry beyond its size', () => {
    const cache = new EmbeddingCache(2);
    const v = new Float32Array(1);
    cache.set('a', 'CT', v);
    cache.set('b', 'CT', v);
    expect(cache.get('a', 'CT')).toBe(v);
    cache.set('c', 'CT', v);
    expect(cache.get('b', 'CT')).toBeUndefined();
    expect(cache.get('a', 'CT')).toBe(v);
    expect(cache.size).toBe(2);
  });
});
