/**
 * Models for tests: loaded before the enclosing suite's (or file's) tests and released after
 * them, and one forward pass of a stage graph on a single window.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, expect } from 'vitest';
import {
  type LoadModelOptions,
  type LoadedModel,
  loadModel,
} from '../../functions/steps/segment/model-loader.js';
import { type GeneratedModelName, ensureModel, generateModel } from '../../models/generate/index.js';
import { tempDir } from './tmp.js';

/**
 * The model in the folder `folder()` resolves to, loaded in beforeAll and released in afterAll.
 * Call the returned function inside tests and hooks.
 */
export function useModel(
  folder: () => Promise<string>,
  options: LoadModelOptions = { device: 'cpu' },
): () => LoadedModel {
  let model: LoadedModel | undefined;
  beforeAll(async () => {
    model = await loadModel(await folder(), options);
  });
  afterAll(async () => {
    await model?.release();
  });
  return () => {
    if (!model) throw new Error('the model is loaded in beforeAll');
    return model;
  };
}

/** The phantom model, in the shared folder ensureModel generates once. */
export function usePhantomModel(options?: LoadModelOptions): () => LoadedModel {
  return useModel(() => ensureModel('phantom'), options);
}

/** A generated model written into a fresh folder of its own, removed after the test file. */
export function useGeneratedModel(name: GeneratedModelName, options?: LoadModelOptions): () => LoadedModel {
  const dir = tempDir(`medals-${name}-model-`);
  return useModel(async () => (await generateModel(name, dir)).dir, options);
}

/**
 * One forward pass of `stage`'s graph on a patch-sized window (H, W, D; d fastest): `queries`
 * holds N text embeddings, the spatial prompts default to zeros. Checks that the logits are
 * (1, N, H, W, D) and returns them.
 */
export async function forwardWindow(
  model: LoadedModel,
  stage: 1 | 2,
  queries: Float32Array,
  image: Float32Array,
  prompts: { sc?: Float32Array; mc?: Float32Array } = {},
): Promise<Float32Array> {
  const s = model.stage(stage);
  const [H, W, D] = s.patch;
  const V = H * W * D;
  const n = queries.length / model.embeddingWidth;
  const out = await s.session.run({
    queries: new ort.Tensor('float32', queries, [n, model.embeddingWidth]),
    image: new ort.Tensor('float32', image, [1, 1, H, W, D]),
    sc_prompt: new ort.Tensor('float32', prompts.sc ?? new Float32Array(V), [1, 1, H, W, D]),
    mc_prompt: new ort.Tensor('float32', prompts.mc ?? new Float32Array(n * V), [1, n, H, W, D]),
  });
  expect(out.logits.dims).toEqual([1, n, H, W, D]);
  return out.logits.data as Float32Array;
}
