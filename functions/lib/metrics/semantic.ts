/**
 * Semantic-task metrics exactly as the CVPR 2025 BiomedSegFM evaluator computes them
 * (CVPR25_text_eval.py compute_multi_class_dsc / compute_multi_class_nsd, SurfaceDice.py):
 * per prompted class present in the ground truth, the Dice similarity coefficient (DSC) and the
 * normalised surface Dice (NSD) at a tolerance (2 mm); the case score is the nan-mean over those
 * classes. Classes that are predicted but absent from the ground truth are not scored.
 */
import { InvalidInputError } from '../core/errors.js';
import type { Vec3, Volume } from '../geometry/volume.js';
import { type LabelArray, type Size3, labelOverlapAsync, surfaceDiceAsync } from '../../../native/index.js';
import { checkPair, checkSpacing, distinctValues, evaluatorLabels, nanMean } from './inputs.js';
import { type LabelBox, labelBoxes, unionBox } from '../geometry/label-boxes.js';

/** The challenge's NSD tolerance (mm). */
const CHALLENGE_TOLERANCE_MM = 2.0;

/**
 * Sørensen-Dice of two masks (SurfaceDice.py compute_dice_coefficient): 2 |A & B| / (|A| + |B|),
 * NaN when both are empty. A voxel is in a mask when its value is `label`, or, without a label,
 * when it is non-zero. The arrays must have the same length (INVALID_INPUT otherwise).
 */
export function dice(
  gt: ArrayLike<number>,
  pred: ArrayLike<number>,
  options: { label?: number } = {},
): number {
  if (gt.length !== pred.length) {
    throw new InvalidInputError(
      `dice: ground truth has ${gt.length} voxels but the prediction ${pred.length}`,
    );
  }
  const { label } = options;
  let a = 0;
  let b = 0;
  let both = 0;
  for (let i = 0; i < gt.length; i++) {
    const inA = label === undefined ? gt[i] !== 0 : gt[i] === label;
    const inB = label === undefined ? pred[i] !== 0 : pred[i] === label;
    if (inA) a++;
    if (inB) b++;
    if (inA && inB) both++;
  }
  const sum = a + b;
  return sum === 0 ? NaN : (2 * both) / sum;
}

interface SemanticOptions {
  /**
   * The prompted label values (the npz `text_prompts` keys). Default: every value of the ground
   * truth. Only those present in the ground truth are scored either way.
   */
  labels?: readonly number[];
  /** Spacing [sx, sy, sz] (mm) for the NSD; default the ground truth's (see index.ts on npz). */
  spacing?: readonly [number, number, number];
  /** NSD tolerance in mm (default 2.0). */
  tolerance?: number;
  /**
   * true (default): as the evaluator, which casts both arrays to uint8 first, so values are
   * taken modulo 256. false: the values as they are.
   */
  castToUint8?: boolean;
  /**
   * How many classes' NSD run at once on the libuv pool (default 2; each needs ~2 bytes per voxel
   * of its box, ~10 when the tolerance spans many voxels and the distance transform runs).
   */
  concurrency?: number;
}

interface ClassMetrics {
  label: number;
  dsc: number;
  nsd: number;
  gtVoxels: number;
  predVoxels: number;
  intersection: number;
  /** Total surfel areas (mm^2) of the class in the ground truth and in the prediction. */
  gtSurfaceArea: number;
  predSurfaceArea: number;
}

export interface SemanticMetrics {
  /** nan-mean of the classes' DSC (NaN when no prompted class is in the ground truth). */
  dsc: number;
  /** nan-mean of the classes' NSD. */
  nsd: number;
  /** The scored classes (prompted and present in the ground truth), by ascending label. */
  classes: ClassMetrics[];
  /** Prompted labels that were not scored because the ground truth lacks them. */
  notInGroundTruth: number[];
  spacing: Vec3;
  tolerance: number;
}

/**
 * Per value: voxel counts in gt, in pred, and where both hold it; the bounding boxes of the
 * non-zero values in gt and in pred; and the sorted distinct values of gt.
 */
interface Overlap {
  gt: Map<number, number>;
  pred: Map<number, number>;
  same: Map<number, number>;
  gtBoxes: Map<number, LabelBox>;
  predBoxes: Map<number, LabelBox>;
  gtValues: number[];
}

/** Uint8 maps (what the evaluator's cast leaves): one native pass over both. */
async function byteOverlap(g: Uint8Array, p: Uint8Array, size: Size3): Promise<Overlap> {
  const o = await labelOverlapAsync(g, p, size);
  const counts = (c: Float64Array) => {
    const m = new Map<number, number>();
    for (let v = 0; v < 256; v++) if (c[v] > 0) m.set(v, c[v]);
    return m;
  };
  const boxes = (b: Int32Array) => {
    const m = new Map<number, LabelBox>();
    for (let v = 1; v < 256; v++) {
      const k = v * 6;
      if (b[k] >= 0) m.set(v, { min: [b[k], b[k + 1], b[k + 2]], max: [b[k + 3], b[k + 4], b[k + 5]] });
    }
    return m;
  };
  const gt = counts(o.gtCounts);
  return {
    gt,
    pred: counts(o.predCounts),
    same: counts(o.sameCounts),
    gtBoxes: boxes(o.gtBoxes),
    predBoxes: boxes(o.predBoxes),
    gtValues: [...gt.keys()],
  };
}

/** Any other label arrays (castToUint8 false): plain passes. */
function anyOverlap(g: LabelArray, p: LabelArray, size: Size3): Overlap {
  const gt = new Map<number, number>();
  const pred = new Map<number, number>();
  const same = new Map<number, number>();
  const bump = (m: Map<number, number>, v: number) => m.set(v, (m.get(v) ?? 0) + 1);
  for (let i = 0; i < g.length; i++) {
    bump(gt, g[i]);
    bump(pred, p[i]);
    if (g[i] === p[i]) bump(same, g[i]);
  }
  return {
    gt,
    pred,
    same,
    gtBoxes: labelBoxes(g, size),
    predBoxes: labelBoxes(p, size),
    gtValues: distinctValues(g),
  };
}

/** Runs `tasks` with at most `limit` in flight; results in task order. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const k = next++;
      results[k] = await tasks[k]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/**
 * DSC and NSD per prompted class present in the ground truth, and their nan-means, as the
 * challenge evaluator. `gt` and `pred` must be integer label volumes of the same geometry
 * (INVALID_INPUT otherwise). "Present" follows the evaluator's `np.unique(gt)[1:]`: the
 * ground truth's distinct values except the smallest, which is the background 0 whenever the
 * ground truth has any background voxel. An empty prediction of a class scores DSC 0 and NSD 0.
 */
export async function semanticMetrics(
  gt: Volume,
  pred: Volume,
  options: SemanticOptions = {},
): Promise<SemanticMetrics> {
  const what = 'semanticMetrics';
  checkPair(gt, pred, what);
  const spacing = checkSpacing(options.spacing ?? gt.spacing, what);
  const tolerance = options.tolerance ?? CHALLENGE_TOLERANCE_MM;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
    throw new InvalidInputError(
      `${what}: tolerance must be a finite number >= 0 mm, got ${String(tolerance)}`,
    );
  }
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidInputError(
      `${what}: concurrency must be a positive integer, got ${String(concurrency)}`,
    );
  }
  if (options.labels !== undefined) {
    for (const l of options.labels) {
      if (!Number.isInteger(l))
        throw new InvalidInputError(`${what}: labels must be integers, got ${String(l)}`);
    }
  }
  const cast = options.castToUint8 ?? true;
  const g = evaluatorLabels(gt.data as LabelArray, cast);
  const p = evaluatorLabels(pred.data as LabelArray, cast);
  const size: Size3 = [gt.size[0], gt.size[1], gt.size[2]];
  const counts =
    g instanceof Uint8Array && p instanceof Uint8Array
      ? await byteOverlap(g, p, size)
      : anyOverlap(g, p, size);
  const inGt = counts.gtValues.slice(1); // np.unique(gt)[1:]
  const prompted = options.labels === undefined ? inGt : [...new Set(options.labels)].sort((a, b) => a - b);
  const inGtSet = new Set(inGt);
  const scored = prompted.filter((l) => inGtSet.has(l));
  const notInGroundTruth = prompted.filter((l) => !inGtSet.has(l));

  // Each class's NSD on the corner grid of its union box, found above (label-boxes.ts says why
  // boxes pay); the kernel reads the two maps in place, inside the box only.
  const { gtBoxes, predBoxes } = counts;
  const surfaces = await pool(
    scored.map((label) => () => {
      const box = unionBox(gtBoxes.get(label), predBoxes.get(label))!; // scored: in the ground truth
      return surfaceDiceAsync(g, p, size, spacing, tolerance, { label, box });
    }),
    concurrency,
  );
  const classes: ClassMetrics[] = scored.map((label, k) => {
    const gtVoxels = counts.gt.get(label) ?? 0;
    const predVoxels = counts.pred.get(label) ?? 0;
    const intersection = counts.same.get(label) ?? 0;
    const sum = gtVoxels + predVoxels;
    return {
      label,
      dsc: sum === 0 ? NaN : (2 * intersection) / sum,
      nsd: surfaces[k].nsd,
      gtVoxels,
      predVoxels,
      intersection,
      gtSurfaceArea: surfaces[k].gtArea,
      predSurfaceArea: surfaces[k].predArea,
    };
  });
  return {
    dsc: nanMean(classes.map((c) => c.dsc)),
    nsd: nanMean(classes.map((c) => c.nsd)),
    classes,
    notInGroundTruth,
    spacing,
    tolerance,
  };
}
