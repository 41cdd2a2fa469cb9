/**
 * A Medal S stage with self-refinement: the sliding window (sliding-window.ts) with a forward
 * adapter that may take several passes per window (inference.py at fcf3340,
 * compute_patch_prediction L76-231 and the window loop L630-680; read, not copied).
 *
 * - With spatial prompts (stage 2 on the ROI): a block mask M over the PATCH (blocks of 8^3
 *   aligned at the window's first voxel, the last ones cut at the patch edge; max(1, blocks // 2)
 *   of them drawn without replacement) splits the prompt; pass A sees prompt x M, pass B prompt
 *   x (1 - M), and the window's logits are A x (1 - M) + B x M, so no voxel sees its own
 *   prompt. As M is 0/1 this picks per voxel, which is the same on logits or probabilities.
 *   Medal S draws a fresh mask per window; so do we, from one seeded generator consumed in
 *   window order (the official code is unseeded), so a seed reproduces the bytes.
 * - Without prompts: one pass with zero prompts (text-only).
 * - `extraRounds` (instance tasks): the window's own prediction (logit > 0, i.e. probability
 *   > 0.5) becomes the prompt (mc per class, sc their union) of another refinement with 4^3
 *   blocks: two more passes.
 *
 * Rule by rule, with the official lines and the parity figures that check them:
 * docs/medal-s-pipeline.md.
 */
import type { NpyArray } from '../../lib/image/npz/npy.js';
import { SeededRandom } from '../../lib/core/random.js';
import type { Vec3 } from '../../lib/geometry/volume.js';
import { SELF_REFINEMENT } from '../../lib/medal-s/index.js';
import { type BlockMask, blockMerge, blockSelect } from '../../../native/index.js';
import { hwdShape } from './layout.js';
import type { SpatialPrompts, StageResult, StageRun } from './run-stage.js';
import { type Logits, type PatchWindow, StageNetwork, slidingWindow } from './sliding-window.js';
import { parityTrace } from './trace.js';

export interface RefineOptions {
  /** Seeds the block masks (request options.seed, default 0). */
  seed: number;
  /** Block edge of the prompt split (Medal S: 8). */
  blockSize?: number;
  /** Extra refinement rounds from the window's own prediction (instance tasks: 1). */
  extraRounds?: number;
  /** Block edge of the extra rounds (Medal S: 4). */
  extraBlockSize?: number;
}

export interface RefinedStageResult extends StageResult {
  /** Forward passes per window (all windows take the same number). */
  passesPerWindow: number;
}

/**
 * Medal S's random block mask over a patch (H, W, D): ceil(p / b) blocks per axis (C order, d
 * fastest), max(1, total // 2) of them chosen as the first entries of a random permutation (a
 * partial Fisher-Yates shuffle), 1 = selected. `drawn` hears the chosen blocks in order. The
 * addon applies it (blockSelect, blockMerge) in runs of a block.
 */
export function drawBlockMask(
  patch: Readonly<Vec3>,
  blockSize: number,
  rng: SeededRandom,
  drawn?: (selected: number[], blocks: number) => void,
): BlockMask {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw new RangeError('blockMask: bad block size');
  const nb = patch.map((p) => Math.ceil(p / blockSize)) as Vec3;
  const total = nb[0] * nb[1] * nb[2];
  const selected = Math.max(1, Math.floor(total / 2));
  const order = Int32Array.from({ length: total }, (_, i) => i);
  for (let i = 0; i < selected; i++) {
    const j = rng.int(i, total - 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const blocks = new Uint8Array(total);
  for (let i = 0; i < selected; i++) blocks[order[i]] = 1;
  drawn?.(Array.from(order.subarray(0, selected)), total);
  return { blocks, patch: [patch[0], patch[1], patch[2]], blockSize };
}

/** A logit above zero (probability above 0.5); float16 logits arrive as their bits. */
function positive(logits: Logits, i: number): boolean {
  if (logits instanceof Float32Array) return logits[i] > 0;
  const bits = logits[i];
  if ((bits & 0x8000) !== 0 || bits === 0) return false;
  // +Inf is positive; NaN (all-ones exponent, non-zero mantissa) is not.
  return (bits & 0x7c00) !== 0x7c00 || (bits & 0x3ff) === 0;
}

export async function runRefinedStage(
  run: StageRun & { refine: RefineOptions },
): Promise<RefinedStageResult> {
  const { stage, image, values, refine } = run;
  const n = values.length;
  const network = new StageNetwork(stage, run.queries, n, 'runRefinedStage');
  const blockSize = refine.blockSize ?? SELF_REFINEMENT.blockSize;
  const extraRounds = refine.extraRounds ?? 0;
  const extraBlockSize = refine.extraBlockSize ?? SELF_REFINEMENT.extraBlockSize;
  const rng = new SeededRandom(refine.seed);
  const patch = [...stage.patch] as Vec3;
  const pv = patch[0] * patch[1] * patch[2];
  const trace = parityTrace();
  if (trace && run.prompts)
    trace.array(`stage${stage.stage}_prompts`, promptLabels(run.prompts, values, hwdShape(image.size)));
  // Without spatial prompts the window's prompts start at zero; the instance rounds write theirs here.
  const own = run.prompts ? null : { sc: new Float32Array(pv), mc: new Float32Array(pv * n) };
  const scMasked = new Float32Array(pv);
  const mcMasked = new Float32Array(pv * n);

  /** Two complementary passes; each voxel takes the pass that did not see its prompt. */
  const refinePass = async (window: PatchWindow, prompts: SpatialPrompts, size: number): Promise<Logits> => {
    const mask = drawBlockMask(
      patch,
      size,
      rng,
      trace
        ? (selected, blocks) =>
            trace.draw({ stage: stage.stage, window: window.index, blockSize: size, blocks, selected })
        : undefined,
    );
    const masked = async (keep: boolean) => {
      blockSelect(mask, keep, prompts.sc, scMasked);
      blockSelect(mask, keep, prompts.mc, mcMasked);
      return network.run(window.image, scMasked, mcMasked);
    };
    const a = (await masked(true)).slice();
    blockMerge(mask, a, await masked(false));
    return a;
  };

  const forward = async (window: PatchWindow): Promise<Logits> => {
    let prompts: SpatialPrompts;
    let logits: Logits;
    if (window.prompts) {
      prompts = window.prompts;
      logits = await refinePass(window, prompts, blockSize);
    } else {
      prompts = own!;
      prompts.sc.fill(0);
      prompts.mc.fill(0);
      logits = (await network.run(window.image, prompts.sc, prompts.mc)).slice();
    }
    for (let r = 0; r < extraRounds; r++) {
      const { sc, mc } = prompts;
      sc.fill(0);
      for (let c = 0; c < n; c++) {
        const o = c * pv;
        for (let v = 0; v < pv; v++) {
          const on = positive(logits, o + v);
          mc[o + v] = on ? 1 : 0;
          if (on) sc[v] = 1;
        }
      }
      trace?.array(`stage${stage.stage}_feedback_w${window.index}_r${r}`, {
        dtype: 'uint8',
        shape: [n, ...patch],
        data: Uint8Array.from(mc),
        fortranOrder: false,
      });
      logits = await refinePass(window, prompts, extraBlockSize);
    }
    return logits;
  };

  const stitched = await slidingWindow({ ...run, forward });
  return {
    ...stitched,
    passes: network.passes,
    passesPerWindow: stitched.windows ? network.passes / stitched.windows : 0,
    inferenceSeconds: network.seconds,
  };
}

/** The spatial prompts as one label map over (H, W, D) (the value of the first class prompted). */
function promptLabels(prompts: { mc: Float32Array }, values: readonly number[], shape: Vec3): NpyArray {
  const voxels = shape[0] * shape[1] * shape[2];
  const data = new Int32Array(voxels);
  for (let c = values.length - 1; c >= 0; c--) {
    const mc = prompts.mc.subarray(c * voxels, (c + 1) * voxels);
    for (let v = 0; v < voxels; v++) if (mc[v] !== 0) data[v] = values[c];
  }
  return { dtype: 'int32', shape: [...shape], data, fortranOrder: false };
}
