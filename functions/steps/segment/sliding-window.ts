/**
 * The one sliding-window loop of Segment, for stage 1, stage 2 and self-refinement alike
 * (inference.py at fcf3340, the window loop L583-690; read, not copied): pad the working volume
 * to the patch, place the windows as split_3d does (lib/medal-s windows.ts), copy each window's
 * image and spatial prompts, ask a forward adapter for its logits, and stitch them Gaussian-
 * weighted in the native StitchAccumulator; then decide each voxel (label where the highest
 * probability is >= 0.5, and that probability).
 *
 * What happens inside a window (one plain pass, two complementary passes, extra rounds from the
 * window's own prediction) is the adapter's: run-stage.ts and refine.ts.
 *
 * The parity trace (trace.ts) hears the network input, the window origins, and the stitched
 * probabilities and labels here, for every kind of stage.
 */
import * as ort from 'onnxruntime-node';
import { type Vec3, Volume } from '../../lib/geometry/volume.js';
import { planWindows } from '../../lib/medal-s/index.js';
import { float32ToFloat16 } from '../../lib/model/float16.js';
import type { StageModel } from './model-loader.js';
import { StitchAccumulator } from '../../../native/index.js';
import { copyWindow, cropFromPadded, fromHwd, hwdShape, padToPatch, toHwd } from './layout.js';
import { parityTrace } from './trace.js';

/** A window's logits (N, ph, pw, pd), C order; float16 graphs give their bits. */

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

export type Logits = Float32Array | Uint16Array;

/** One window as the forward adapter gets it. */
export interface PatchWindow {
  /** Its number in split_3d order, from 0. */
  index: number;
  /** First voxel [h, w, d] on the padded grid. */
  start: Vec3;
  /** The image under the window, (H, W, D) C order. Read only: the loop reuses it. */
  image: Float32Array;
  /**
   * The spatial prompts under the window, sc (H, W, D) and mc (N, H, W, D); null when the stage
   * has none. The loop copies them afresh for every window, so the adapter may overwrite them
   * (the instance rounds do) instead of holding another N-class buffer.
   */
  prompts: SpatialPrompts | null;
}

/** The logits of one window. The loop stitches them later, so they must not be reused. */
export type Forward = (window: PatchWindow) => Promise<Logits>;

export interface SlidingWindowRun {
  stage: StageModel;
  /** Scaled image (0..255) on the stage's working grid. */
  image: Volume<'float32'>;
  /** Label value of each class, in query order. */
  values: readonly number[];
  /** Spatial prompts on the working grid, (H, W, D) and (N, H, W, D). */
  prompts?: SpatialPrompts;
  forward: Forward;
  onProgress?: (p: StageProgress) => void;
}

export interface Stitched {
  /** Label map on the working grid (values from `values`, 0 background). */
  labels: Volume<'int32'>;
  /** Highest class probability per voxel, on the working grid. */
  maxProbability: Volume<'float32'>;
  windows: number;
}

export async function slidingWindow(run: SlidingWindowRun): Promise<Stitched> {
  const { stage, image, values } = run;
  const n = values.length;
  const patch = [...stage.patch] as Vec3;
  const shape = hwdShape(image.size);
  const voxels = shape[0] * shape[1] * shape[2];
  const padded = padToPatch(traceStageInput(stage.stage, image, shape), shape, patch);
  const sc = run.prompts ? padToPatch(run.prompts.sc, shape, patch).data : null;
  const mcClasses = run.prompts
    ? Array.from(
        { length: n },
        (_, c) => padToPatch(run.prompts!.mc.subarray(c * voxels, (c + 1) * voxels), shape, patch).data,
      )
    : null;
  const windows = planWindows(padded.shape, patch);
  parityTrace()?.set(`stages.${stage.stage}.windows`, { paddedShape: padded.shape, starts: windows });
  const accumulator = new StitchAccumulator(padded.shape, n, patch);
  const pv = patch[0] * patch[1] * patch[2];
  const imageWindow = new Float32Array(pv);
  const prompts = sc ? { sc: new Float32Array(pv), mc: new Float32Array(pv * n) } : null;
  const adds: Promise<void>[] = [];
  let addError: unknown;
  for (let i = 0; i < windows.length; i++) {
    const start = windows[i];
    copyWindow(padded.data, padded.shape, start, patch, imageWindow);
    if (prompts && sc && mcClasses) {
      copyWindow(sc, padded.shape, start, patch, prompts.sc);
      for (let c = 0; c < n; c++)
        copyWindow(mcClasses[c], padded.shape, start, patch, prompts.mc.subarray(c * pv));
    }
    const logits = await run.forward({ index: i, start, image: imageWindow, prompts });
    // The add runs on a worker thread while the next window is inferred; adds are queued, so
    // the sums keep the window order.
    adds.push(accumulator.addAsync(logits, start).catch((e: unknown) => void (addError ??= e)));
    run.onProgress?.({ stage: stage.stage, window: i + 1, windows: windows.length });
  }
  await Promise.all(adds);
  if (addError !== undefined) throw addError;
  return {
    ...(await finishStitching(accumulator, values, padded.shape, image, stage.stage)),
    windows: windows.length,
  };
}

function tensor(stage: StageModel, data: Float32Array, dims: number[]): ort.Tensor {
  return stage.dtype === 'float16'
    ? new ort.Tensor('float16', float32ToFloat16(data), dims)
    : new ort.Tensor('float32', data, dims);
}

/**
 * The stage's network on one window: all N classes in one pass (parallel prompting: the prompt
 * fusion sums over classes, so splitting them would change the result). Counts its passes and
 * the time spent in them.
 */
export class StageNetwork {
  passes = 0;
  private milliseconds = 0;
  private readonly queries: ort.Tensor;
  private readonly patch: Vec3;

  constructor(
    private readonly stage: StageModel,
    queries: Float32Array,
    private readonly classes: number,
    caller: string,
  ) {
    const width = queries.length / classes;
    if (!Number.isInteger(width) || classes < 1)
      throw new RangeError(`${caller}: queries must hold N rows of E values`);
    this.queries = tensor(stage, queries, [classes, width]);
    this.patch = [...stage.patch] as Vec3;
  }

  get seconds(): number {
    return this.milliseconds / 1000;
  }

  async run(image: Float32Array, sc: Float32Array, mc: Float32Array): Promise<Logits> {
    const { stage, patch } = this;
    const t0 = performance.now();
    const out = await stage.session.run({
      queries: this.queries,
      image: tensor(stage, image, [1, 1, ...patch]),
      sc_prompt: tensor(stage, sc, [1, 1, ...patch]),
      mc_prompt: tensor(stage, mc, [1, this.classes, ...patch]),
    });
    this.milliseconds += performance.now() - t0;
    this.passes++;
    return out.logits.data as Logits;
  }
}

/** The working volume in (H, W, D) order, the network's input; traced for parity. */
function traceStageInput(stage: 1 | 2, image: Volume<'float32'>, shape: Vec3): Float32Array {
  const hwd = toHwd(image.data, image.size, new Float32Array(image.data.length));
  parityTrace()?.array(`stage${stage}_input`, { dtype: 'float32', shape, data: hwd, fortranOrder: false });
  return hwd;
}

/**
 * The stitched grid's decisions (label with probability >= 0.5, max probability), cropped from
 * the padded grid and put back in volume order on the working volume's geometry.
 */
async function finishStitching(
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
