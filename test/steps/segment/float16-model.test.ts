import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../functions/lib/core/random.js';
import { Volume } from '../../../functions/lib/geometry/volume.js';
import { loadModel } from '../../../functions/steps/segment/model-loader.js';
import { runStage } from '../../../functions/steps/segment/run-stage.js';
import { CONV_EMBEDDING_WIDTH } from '../../../models/generate/conv.js';
import { generateModel } from '../../../models/generate/index.js';
import { geometry } from '../../helpers/geometry.js';
import { tempDir } from '../../helpers/tmp.js';

describe('float16 stage graphs', () => {
  it('the engine runs a float16 model and agrees with its float32 twin up to float16 rounding', async () => {
    const rng = new SeededRandom(5);
    const image = new Volume<'float32'>(
      geometry([40, 36, 20], [1, 1, 2]),
      Float32Array.from({ length: 40 * 36 * 20 }, () => rng.int(0, 255)),
    );
    const n = 3;
    const queries = Float32Array.from({ length: n * CONV_EMBEDDING_WIDTH }, () => rng.normal());
    const results = [];
    for (const stageDtype of ['float32', 'float16'] as const) {
      const dir = (await generateModel('conv', tempDir(), { stageDtype })).dir;
      const model = await loadModel(dir, { device: 'cpu', stages: [1], textEncoder: false });
      expect(model.stages[1]!.dtype).toBe(stageDtype);
      results.push(await runStage({ stage: model.stages[1]!, image, queries, values: [1, 2, 3] }));
      await model.release();
    }
    const [f32, f16] = results;
    let maxDiff = 0;
    let disagree = 0;
    for (let i = 0; i < f32.maxProbability.data.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(f32.maxProbability.data[i] - f16.maxProbability.data[i]));
      if (f32.labels.data[i] !== f16.labels.data[i]) disagree++;
    }
    expect(maxDiff).toBeLessThan(0.02);
    expect(disagree / f32.labels.data.length).toBeLessThan(0.01);
  });
});
