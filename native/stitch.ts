/**
 * Sliding-window kernels for the segment step: Medal S's Gaussian importance map, the
 * accumulator of window predictions and the self-refinement block masks (src/gaussian.*,
 * src/stitch*, src/block_mask.*, bindings in src/stitch_binding.cc).
 */
import { loadNative, valueList } from './addon.js';
import type { LabelArray } from './addon.js';

/**
 * Extent or position in the model's axis order (H, W, D). A grid (H, W, D) is C order, d
 * fastest: voxel (h, w, d) at (h * W + w) * D + d. For an x-fastest volume of size [X, Y, Z]
 * that is (H, W, D) = (Y, X, Z) (functions/steps/segment/layout.ts converts).
 */
export type Hwd = readonly [number, number, number];

/** Patch logits: float32, or float16 bits in a Uint16Array (the model's fp16 output). */
export type LogitArray = Float32Array | Uint16Array;

/**
 * The accumulator (sums, weights, grid) and one window of logits for stitchAdd, without the
 * thread count the addon takes last (the oracle in test/oracles runs on one thread).
 */
export type StitchAddArgs = [
  sums: readonly Float32Array[],
  weights: Float32Array,
  grid: Hwd,
  logits: LogitArray,
  patch: Hwd,
  offset: Hwd,
  importance: Float32Array,
];

/** The accumulator and the outputs of stitchFinalize, without the thread count (as StitchAddArgs). */
export type StitchFinalizeArgs = [
  sums: readonly Float32Array[],
  weights: Float32Array,
  grid: Hwd,
  values: Int32Array,
  threshold: number,
  writeProbabilities: boolean,
  labels: LabelArray,
  maxProbability: Float32Array | null,
];

/** The raw stitching functions of the addon. */
export interface StitchAddon {
  stitchInfo(): StitchInfo;
  gaussianImportance(patch: Hwd): Float32Array;
  stitchAdd(...args: [...StitchAddArgs, threads: number]): void;
  stitchAddAsync(...args: [...StitchAddArgs, threads: number]): Promise<void>;
  stitchFinalize(...args: [...StitchFinalizeArgs, threads: number]): void;
  stitchFinalizeAsync(...args: [...StitchFinalizeArgs, threads: number]): Promise<void>;
  blockSelect(...args: BlockSelectArgs): void;
  blockMerge(...args: BlockMergeArgs): void;
}

/**
 * A self-refinement block mask: the patch (H, W, D) cut into blocks of blockSize^3 voxels aligned
 * at its first voxel (the last ones cut at the patch edge), ceil(p / blockSize) per axis, and
 * `blocks` (one byte per block, C order, d fastest) marking the selected ones (non-zero).
 */
export interface BlockMask {
  blocks: Uint8Array;
  patch: Hwd;
  blockSize: number;
}

/** blockSelect's arguments: the mask, keep, and src and dst of the same length. */
export type BlockSelectArgs = [
  blocks: Uint8Array,
  patch: Hwd,
  blockSize: number,
  keep: boolean,
  src: Float32Array,
  dst: Float32Array,
];

/** blockMerge's arguments: the mask, then a and b of one type and length. */
export type BlockMergeArgs = [
  blocks: Uint8Array,
  patch: Hwd,
  blockSize: number,
  a: LogitArray,
  b: LogitArray,
];

/**
 * dst = src on the voxels whose block is selected (keep = true) or not selected (keep = false),
 * +0 elsewhere; src and dst hold any whole number of patch volumes one after the other (a
 * window's prompts, sc or mc). In runs of a block along d, at memory speed.
 */
export function blockSelect(mask: BlockMask, keep: boolean, src: Float32Array, dst: Float32Array): void {
  loadNative<StitchAddon>().blockSelect(mask.blocks, mask.patch, mask.blockSize, keep, src, dst);
}

/**
 * a = b on the voxels whose block is selected, a unchanged elsewhere: the two complementary
 * passes of self-refinement merged into `a` (logits, float32 or float16 bits, any whole number of
 * patch volumes).
 */
export function blockMerge(mask: BlockMask, a: LogitArray, b: LogitArray): void {
  loadNative<StitchAddon>().blockMerge(mask.blocks, mask.patch, mask.blockSize, a, b);
}

/** How the stitching loops run on this machine. */
export interface StitchInfo {
  /**
   * The vector loops chosen for this CPU: "avx512f" (16 lanes), "avx2" (8), or "base" (SSE2 or
   * NEON, 4 lanes). MEDALS_STITCH_ISA=base or avx2 caps it; every choice gives the same numbers.
   */
  instructionSet: string;
  /** Threads a call uses when asked for 0: the hardware's, at most 8. */
  defaultThreads: number;
}

/** The instruction set and default thread count of the stitching loops. */
export function stitchInfo(): StitchInfo {
  return loadNative<StitchAddon>().stitchInfo();
}

/**
 * Medal S's Gaussian importance map over a patch [ph, pw, pd] (C order, d fastest): a unit
 * impulse at p // 2 per axis filtered as scipy's gaussian_filter with sigma p / 8 (truncated at
 * 4 sigma, constant border), divided by its maximum, times 10, rounded to float16, zeros replaced
 * by the smallest non-zero value. Float32 values of those float16 numbers.
 */
export function gaussianImportance(patch: Hwd): Float32Array {
  return loadNative<StitchAddon>().gaussianImportance(patch);
}

export interface StitchAccumulatorOptions {
  /** The importance map (ph * pw * pd); default gaussianImportance(patch). */
  importance?: Float32Array;
  /** Threads per call (a window's h planes, the voxels of finalize); 0 (default): the cores, at most 8. */
  threads?: number;
}

export interface StitchFinalizeOptions {
  /** Label value of each class (default 1..N). */
  values?: readonly number[] | Int32Array;
  /** A voxel gets its best class's value when that probability is >= threshold (default 0.5). */
  threshold?: number;
  /**
   * true: also return the per-class probabilities, written in place over the class sums (no
   * extra memory; the accumulator takes no more windows afterwards). Default false.
   */
  probabilities?: boolean;
  /** Return the highest class probability per voxel (default true). */
  maxProbability?: boolean;
  /**
   * Output label map (grid voxels). Default: a new Uint8Array when every value fits, else
   * Uint16Array, Int16Array or Int32Array, the first that holds them all.
   */
  labels?: LabelArray;
}

export interface StitchResult {
  /** (H, W, D): values[c] of the most probable class c when its probability >= threshold, else 0. */
  labels: LabelArray;
  /** (H, W, D): the highest class probability (0 where no window reached), or null. */
  maxProbability: Float32Array | null;
  /** Per class (H, W, D) probabilities (the accumulator's own buffers), or null. */
  probabilities: Float32Array[] | null;
}

function labelArrayFor(values: Int32Array, voxels: number): LabelArray {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (lo >= 0 && hi <= 255) return new Uint8Array(voxels);
  if (lo >= 0 && hi <= 65535) return new Uint16Array(voxels);
  if (lo >= -32768 && hi <= 32767) return new Int16Array(voxels);
  return new Int32Array(voxels);
}

function checkTriple(value: Hwd, name: string, min: number): [number, number, number] {
  if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => Number.isInteger(v) && v >= min)) {
    throw new RangeError(`StitchAccumulator: ${name} must be [h, w, d] of integers >= ${min}`);
  }
  return [value[0], value[1], value[2]];
}

/**
 * Stitches sliding-window predictions of N classes into a grid (H, W, D) (see Hwd), in C++.
 *
 * Holds one float32 volume per class (`sums[c]`: the sum of sigmoid(logit) x g over the windows)
 * and ONE weight volume shared by all classes (`weights`: the sum of g), g being the importance
 * map. `add` takes the model output of one window, (1, N, ph, pw, pd) in C order, as float32 or
 * float16 bits; `finalize` divides and takes the argmax. All accumulation is float32.
 *
 * One call at a time: the async calls queue behind each other, and a sync call while an async one
 * is pending throws. Do not modify a logits buffer until its addAsync has resolved.
 */
export class StitchAccumulator {
  readonly grid: [number, number, number];
  readonly classes: number;
  readonly patch: [number, number, number];
  readonly importance: Float32Array;
  readonly sums: Float32Array[];
  readonly weights: Float32Array;
  readonly threads: number;
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private spent = false;

  constructor(grid: Hwd, classes: number, patch: Hwd, options: StitchAccumulatorOptions = {}) {
    this.grid = checkTriple(grid, 'grid', 1);
    this.patch = checkTriple(patch, 'patch', 1);
    if (!Number.isInteger(classes) || classes < 1) {
      throw new RangeError(`StitchAccumulator: classes must be a positive integer, got ${String(classes)}`);
    }
    this.classes = classes;
    this.threads = options.threads ?? 0;
    this.importance = options.importance ?? gaussianImportance(this.patch);
    const voxels = this.grid[0] * this.grid[1] * this.grid[2];
    this.sums = Array.from({ length: classes }, () => new Float32Array(voxels));
    this.weights = new Float32Array(voxels);
  }

  private addArgs(logits: LogitArray, offset: Hwd): [...StitchAddArgs, threads: number] {
    return [this.sums, this.weights, this.grid, logits, this.patch, offset, this.importance, this.threads];
  }

  private checkUsable(fn: string, allowPending = false): void {
    if (this.spent) {
      throw new Error(
        `StitchAccumulator.${fn}: finalized with probabilities; its sums are probabilities now`,
      );
    }
    if (!allowPending && this.pending > 0) {
      throw new Error(`StitchAccumulator.${fn}: an async call is still running; await it first`);
    }
  }

  /**
   * Queues `run` after every earlier async call (whatever their outcome). A spent accumulator
   * rejects at once, and again when the turn comes, as an earlier call may spend it meanwhile.
   */
  private enqueue<T>(fn: string, run: () => Promise<T>): Promise<T> {
    try {
      this.checkUsable(fn, true);
    } catch (error) {
      return Promise.reject(error);
    }
    this.pending++;
    const result = this.tail
      .then(() => {
        this.checkUsable(fn, true);
        return run();
      })
      .finally(() => {
        this.pending--;
      });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Adds one window's logits (N, ph, pw, pd) with its first voxel at `offset` [h, w, d]. */
  add(logits: LogitArray, offset: Hwd): void {
    this.checkUsable('add');
    loadNative<StitchAddon>().stitchAdd(...this.addArgs(logits, offset));
  }

  /** add on the libuv thread pool, after any earlier async call. */
  addAsync(logits: LogitArray, offset: Hwd): Promise<void> {
    return this.enqueue('addAsync', () =>
      loadNative<StitchAddon>().stitchAddAsync(...this.addArgs(logits, offset)),
    );
  }

  private finalizeArgs(options: StitchFinalizeOptions) {
    const values = valueList(options.values);
    const classValues = values ?? Int32Array.from({ length: this.classes }, (_, c) => c + 1);
    const voxels = this.weights.length;
    const labels = options.labels ?? labelArrayFor(classValues, voxels);
    const maxProbability = options.maxProbability === false ? null : new Float32Array(voxels);
    const probabilities = options.probabilities === true;
    const args: [...StitchFinalizeArgs, threads: number] = [
      this.sums,
      this.weights,
      this.grid,
      classValues,
      options.threshold ?? 0.5,
      probabilities,
      labels,
      maxProbability,
      this.threads,
    ];
    const result: StitchResult = { labels, maxProbability, probabilities: probabilities ? this.sums : null };
    return { args, result, probabilities };
  }

  /**
   * Probabilities, argmax label map and max-probability map (all (H, W, D)). Without
   * `probabilities` the sums are left as they are, so more windows may follow.
   */
  finalize(options: StitchFinalizeOptions = {}): StitchResult {
    this.checkUsable('finalize');
    const { args, result, probabilities } = this.finalizeArgs(options);
    loadNative<StitchAddon>().stitchFinalize(...args);
    if (probabilities) this.spent = true;
    return result;
  }

  /** finalize on the libuv thread pool, after any earlier async call. */
  finalizeAsync(options: StitchFinalizeOptions = {}): Promise<StitchResult> {
    return this.enqueue('finalizeAsync', async () => {
      const { args, result, probabilities } = this.finalizeArgs(options);
      await loadNative<StitchAddon>().stitchFinalizeAsync(...args);
      if (probabilities) this.spent = true;
      return result;
    });
  }
}
