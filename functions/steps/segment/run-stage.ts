/**
 * One Medal S stage without self-refinement: the sliding window (sliding-window.ts) with one
 * forward pass per window, all N classes at once, the spatial prompts as given or zero
 * ("text-only mode", stage 1).
 */
import type { Volume } from '../../lib/geometry/volume.js';
import type { StageModel } from './model-loader.js';
import { type SpatialPrompts, type StageProgress, StageNetwork, slidingWindow } from './sliding-window.js';

export type { SpatialPrompts, StageProgress };

export interface StageRun {
  stage: StageModel;
  /** Scaled image (0..255) on the stage's working grid. */
  image: Volume<'float32'>;
  /** Query embeddings (N x E). */
  queries: Float32Array;
  /** Label value of each class, in query order. */
  values: readonly number[];
  prompts?: SpatialPrompts;
  onProgress?: (p: StageProgress) => void;
}

export interface StageResult {
  /** Label map on the working grid (values from `values`, 0 background). */
  labels: Volume<'int32'>;
  /** Highest class probability per voxel, on the working grid. */
  maxProbability: Volume<'float32'>;
  windows: number;
  passes: number;
  inferenceSeconds: number;
}

export async function runStage(run: StageRun): Promise<StageResult> {
  const { stage, values } = run;
  const network = new StageNetwork(stage, run.queries, values.length, 'runStage');
  const pv = stage.patch[0] * stage.patch[1] * stage.patch[2];
  // Text-only windows: zero prompts, never written.
  const zero = { sc: new Float32Array(pv), mc: new Float32Array(pv * values.length) };
  const stitched = await slidingWindow({
    ...run,
    forward: (window) => {
      const prompts = window.prompts ?? zero;
      return network.run(window.image, prompts.sc, prompts.mc);
    },
  });
  return { ...stitched, passes: network.passes, inferenceSeconds: network.seconds };
}
