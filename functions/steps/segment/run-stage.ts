/**
 * One Medal S stage over a whole working volume: sliding windows, all N classes in one forward
 * pass per window (parallel prompting: the prompt fusion sums over classes, so splitting them
 * would change the result), Gaussian-weighted stitching, then per-voxel decisions.
 */
import * as ort from 'onnxruntime-node';
import { type Vec3, Volume } from '../../lib/geometry/volume.js';
import { copyWindow, cropFromPadded, fromHwd, hwdShape, padToPatch, toHwd } from './layout.js';
import { float32ToFloat16 } from '../../lib/model/float16.js';
import type { StageModel } from './model-loader.js';
import { StitchAccumulator } from '../../../native/index.js';
import { parityTrace } from './trace.js';
import { planWindows } from '../../lib/medal-s/windows.js';

export interface StageProgress {
  stage: 1 | 2;
  window: number;
  windows: number;
}

export interface SpatialPrompts {
  /** Union of the prompts, (H, W, D) of the working volume, 0/1. */
  sc: Float32Array;
  /** One prompt per class, (N, H, W, D), 0/1. */
  mc: Float32Array;
}

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

function tensor(stage: StageModel, data: Float32Array, dims: number[]): ort.Tensor {
  return stage.dtype === 'float16'
    ? new ort.Tensor('float16', float32ToFloat16(data), dims)
    : new ort.Tensor('float32', data, dims);
}

export async function runStage(run: StageRun): Promise<StageResult> {
  const { stage, image, queries, values } = run;
  const n = values.length;
  const width = queries.length / n;
  if (!Number.isInteger(width) || n < 1)
    throw new RangeError('runStage: queries must hold N rows of E values');
  const patch = [...stage.patch] as Vec3;
  const shape = hwdShape(image.size);
  const padded = padToPatch(traceStageInput(stage.stage, image, shape), shape, patch);
  const sc = run.prompts ? padToPatch(run.prompts.sc, shape, patch).data : null;
  const mcClasses = run.prompts
    ? Array.from(
        { length: n },
        (_, c) =>
          padToPatch(run.prompts!.mc.subarray(c * sc!.length, (c + 1) * sc!.length), shape, patch).data,
      )
    : null;
  const windows = planWindows(padded.shape, patch);
  parityTrace()?.set(`stages.${stage.stage}.windows`, { paddedShape: padded.shape, starts: windows });
  const accumulator = new StitchAccumulator(padded.shape, n, patch);
  const patchVoxels = patch[0] * patch[1] * patch[2];
  const imageWindow = new Float32Array(patchVoxels);
  const scWindow = new Float32Array(patchVoxels);
  const mcWindow = new Float32Array(patchVoxels * n);
  const queryTensor = tensor(stage, queries, [n, width]);
  let inference = 0;
  const adds: Promise<void>[] = [];
  let addError: unknown;
  for (let i = 0; i < windows.length; i++) {
    const start = windows[i];
    copyWindow(padded.data, padded.shape, start, patch, imageWindow);
    if (sc && mcClasses) {
      copyWindow(sc, padded.shape, start, patch, scWindow);
      for (let c = 0; c < n; c++)
        copyWindow(mcClasses[c], padded.shape, start, patch, mcWindow.subarray(c * patchVoxels));
    }
    const t0 = performance.now();
    const out = await stage.session.run({
      queries: queryTensor,
      image: tensor(stage, imageWindow, [1, 1, ...patch]),
      sc_prompt: tensor(stage, scWindow, [1, 1, ...patch]),
      mc_prompt: tensor(stage, mcWindow, [1, n, ...patch]),
    });
    inference += performance.now() - t0;
    // float16 logits go to the addon as their bits: it widens them exactly. The add runs on a
    // worker thread while the next window is inferred; adds are queued, so order is kept.
    const logits = out.logits.data as Float32Array | Uint16Array;
    adds.push(accumulator.addAsync(logits, start).catch((e: unknown) => void (addError ??= e)));
    run.onProgress?.({ stage: stage.stage, window: i + 1, windows: windows.length });
  }
  await Promise.all(adds);
  if (addError !== undefined) throw addError;
  return {
    ...(await finishStitching(accumulator, values, padded.shape, image, stage.stage)),
    windows: windows.length,
    passes: windows.length,
    inferenceSeconds: inference / 1000,
  };
}

/** The working volume in (H, W, D) order, the network's input; traced for parity. */
export function traceStageInput(stage: 1 | 2, image: Volume<'float32'>, shape: Vec3): Float32Array {
  const hwd = toHwd(image.data, image.size, new Float32Array(image.data.length));
  parityTrace()?.array(`stage${stage}_input`, { dtype: 'float32', shape, data: hwd, fortranOrder: false });
  return hwd;
}

/**
 * The stitched grid's decisions (label with probability >= 0.5, max probability), cropped from
 * the padded grid and put back in volume order on the working volume's geometry.
 */
export async function finishStitching(
  accumulator: StitchAccumulator,
  values: readonly number[],
  paddedShape: Vec3,
  image: Volume<'float32'>,
  stage: 1 | 2,
): Promise<{ labels: Volume<'int32'>; maxProbability: Volume<'float32'> }> {
  const trace = parityTrace();
  const stitched = await accumulator.finalizeAsync({
    values: Int32Array.from(values),
    labels: new Int32Array(accumulator.weights.length),
    probabilities: trace !== null,
  });
  const shape = hwdShape(image.size);
  const voxels = shape[0] * shape[1] * shape[2];
  const labelsHwd = cropFromPadded(stitched.labels, paddedShape, shape, new Int32Array(voxels));
  const maxHwd = cropFromPadded(stitched.maxProbability!, paddedShape, shape, new Float32Array(voxels));
  if (trace) {
    const n = values.length;
    const probabilities = new Float32Array(n * voxels);
    stitched.probabilities!.forEach((p, c) =>
      cropFromPadded(p, paddedShape, shape, probabilities.subarray(c * voxels, (c + 1) * voxels)),
    );
    const array = { fortranOrder: false } as const;
    trace.array(`stage${stage}_prob`, {
      ...array,
      dtype: 'float32',
      shape: [n, ...shape],
      data: probabilities,
    });
    trace.array(`stage${stage}_worklabels`, { ...array, dtype: 'int32', shape, data: labelsHwd });
  }
  return {
    labels: new Volume<'int32'>(image.geometry, fromHwd(labelsHwd, image.size, new Int32Array(voxels))),
    maxProbability: new Volume<'float32'>(
      image.geometry,
      fromHwd(maxHwd, image.size, new Float32Array(voxels)),
    ),
  };
}
