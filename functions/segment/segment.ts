/**
 * Segment, the pure core: embed the prompts' sentences, run stage 1 over the stage-1 working
 * volume with all classes in one pass per window, and report what was done.
 */
import type { Modality } from '../core/case-request.js';
import type { Volume } from '../core/volume.js';
import type { LoadedModel } from './model/index.js';
import { type StageProgress, runStage } from './run-stage.js';

export interface SegmentPrompt {
  value: number;
  name: string;
  sentence: string;
  modality: Modality;
}

export interface SegmentRecord {
  model: string;
  executionProvider: string;
  warnings: string[];
  classes: { value: number; name: string; sentence: string; modality: Modality; embedding: string }[];
  stages: {
    stage: number;
    windows: number;
    passes: number;
    classesPerPass: number;
    inferenceSeconds: number;
  }[];
  seconds: number;
}

export interface SegmentResult {
  labels: Volume<'int32'>;
  maxProbability: Volume<'float32'>;
  record: SegmentRecord;
}

export async function segmentImage(
  model: LoadedModel,
  prompts: readonly SegmentPrompt[],
  stage1Image: Volume<'float32'>,
  onProgress?: (p: StageProgress) => void,
): Promise<SegmentResult> {
  const started = performance.now();
  const stage = model.stages[1];
  if (!stage) throw new Error('the model was loaded without its stage-1 graph');
  const embedded = await model.text.embed(
    prompts.map((p) => ({ sentence: p.sentence, modality: p.modality })),
  );
  const result = await runStage({
    stage,
    image: stage1Image,
    queries: embedded.data,
    values: prompts.map((p) => p.value),
    onProgress,
  });
  return {
    labels: result.labels,
    maxProbability: result.maxProbability,
    record: {
      model: model.name,
      executionProvider: model.executionProvider,
      warnings: [...model.warnings],
      classes: prompts.map((p, i) => ({
        value: p.value,
        name: p.name,
        sentence: p.sentence,
        modality: p.modality,
        embedding: embedded.sources[i],
      })),
      stages: [
        {
          stage: 1,
          windows: result.windows,
          passes: result.passes,
          classesPerPass: prompts.length,
          inferenceSeconds: result.inferenceSeconds,
        },
      ],
      seconds: (performance.now() - started) / 1000,
    },
  };
}
