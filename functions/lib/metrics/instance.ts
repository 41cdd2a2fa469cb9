/**
 * Instance-task metrics exactly as the CVPR 2025 BiomedSegFM evaluator computes them
 * (CVPR25_text_eval.py, instance_label == 1): F1 of instances matched at IoU >= 0.5 and the
 * mean Dice of the matched pairs (DSC TP).
 *
 * The evaluator's steps, reproduced here:
 *   1. both arrays are cast to uint8 (values modulo 256; see castToUint8);
 *   2. a prediction with exactly two distinct values (binary) is split into 6-connected
 *      components (cc3d, multi-label), and each component's voxels get the value
 *      component number + max(prediction), stored in the uint8 array (so modulo 256 again);
 *   3. both are relabelled sequentially (skimage relabel_sequential): instances 1..n by value;
 *   4. IoU of every (ground truth, prediction) pair; Hungarian assignment of min(n_gt, n_pred)
 *      pairs with cost -(IoU >= 0.5) - IoU / (2 n_min); a true positive is an assigned pair with
 *      IoU >= 0.5; fp = n_pred - tp, fn = n_gt - tp;
 *   5. precision = tp / (tp + fp), recall = tp / (tp + fn) (0 when the denominator is 0),
 *      F1 = 2 P R / (P + R) (0 when P + R = 0); an empty prediction gives tp = fp = fn = 0 and
 *      F1 = 0; DSC TP = mean Dice over the true-positive pairs, 0 when there is none.
 * Pairs with no overlap cost 0, so the assignment is solved on each connected group of
 * overlapping instances separately (same optimum, same true positives) rather than on the full
 * n_gt x n_pred matrix.
 */
import { InvalidInputError } from '../core/errors.js';
import type { Volume } from '../geometry/volume.js';
import { type LabelArray, type Size3, connectedComponentsAsync } from '../../../native/index.js';
import { linearSumAssignment } from './hungarian.js';
import { checkPair, distinctValues, evaluatorLabels, relabelSequential } from './inputs.js';

interface InstanceOptions {
  /** IoU a match needs to count (default 0.5, the evaluator's). */
  threshold?: number;
  /**
   * true (default): as the evaluator, which casts both arrays to uint8, so labels are taken
   * modulo 256 (instances 256 apart merge, and a component number + max(prediction) that is a
   * multiple of 256 becomes background). false: the values as they are (non-negative).
   */
  castToUint8?: boolean;
}

interface InstanceMatch {
  /** Sequential instance numbers (1-based) after the evaluator's relabelling. */
  gt: number;
  pred: number;
  /** The label values those instances had before the sequential relabelling. */
  gtValue: number;
  predValue: number;
  iou: number;
  dice: number;
}

export interface InstanceMetrics {
  f1: number;
  /** Mean Dice over the true-positive pairs (0 when there is none). */
  dscTp: number;
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
  gtInstances: number;
  predInstances: number;
  /** Whether the prediction was binary and split into 6-connected components. */
  predictionRelabelled: boolean;
  /** The true-positive pairs, by ascending gt. */
  matches: InstanceMatch[];
}

/** The prediction as the evaluator sees it after step 2 (a new array when relabelled). */
async function evaluatorPrediction(
  p: LabelArray,
  size: Size3,
  cast: boolean,
  what: string,
): Promise<{ values: LabelArray | Uint32Array; relabelled: boolean }> {
  const distinct = distinctValues(p);
  if (distinct.length !== 2) return { values: p, relabelled: false };
  const max = distinct[1];
  const { labels } = await connectedComponentsAsync(p, size, { connectivity: 6, binary: false });
  if (cast) {
    const out = new Uint8Array(p.length);
    for (let i = 0; i < p.length; i++) out[i] = labels[i] > 0 ? (labels[i] + max) & 0xff : p[i];
    return { values: out, relabelled: true };
  }
  if (distinct[0] < 0)
    throw new InvalidInputError(`${what}: instance labels must not be negative, got ${distinct[0]}`);
  const out = new Uint32Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = labels[i] > 0 ? labels[i] + max : p[i];
    if (v > 0xffffffff) throw new InvalidInputError(`${what}: relabelled instance values exceed 2^32 - 1`);
    out[i] = v;
  }
  return { values: out, relabelled: true };
}

/** Union-find over node ids 0..n-1 (gt instances first, then prediction instances). */
function groups(n: number, edges: [number, number][]): number[] {
  const parent = Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  for (const [a, b] of edges) {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
  return parent.map((_, i) => find(i));
}

/**
 * F1, DSC TP and the matches of an instance prediction against an instance ground truth, as the
 * challenge evaluator (see the steps above). `gt` and `pred` must be integer label volumes of the
 * same geometry (INVALID_INPUT otherwise); spacing plays no part in these metrics.
 */
export async function instanceMetrics(
  gt: Volume,
  pred: Volume,
  options: InstanceOptions = {},
): Promise<InstanceMetrics> {
  const what = 'instanceMetrics';
  checkPair(gt, pred, what);
  const threshold = options.threshold ?? 0.5;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) {
    throw new InvalidInputError(`${what}: threshold must be in (0, 1], got ${String(threshold)}`);
  }
  const cast = options.castToUint8 ?? true;
  const size: Size3 = [gt.size[0], gt.size[1], gt.size[2]];
  const g = evaluatorLabels(gt.data as LabelArray, cast);
  const p = evaluatorLabels(pred.data as LabelArray, cast);
  const prediction = await evaluatorPrediction(p, size, cast, what);
  const gi = relabelSequential(g, `${what}: ground truth`);
  const pi = relabelSequential(prediction.values, `${what}: prediction`);
  const nGt = gi.count;
  const nPred = pi.count;

  const base = {
    gtInstances: nGt,
    predInstances: nPred,
    predictionRelabelled: prediction.relabelled,
  };
  if (nPred === 0) {
    // The evaluator's "no segmentation" branch: tp = fp = fn = 0, F1 = 0, DSC TP = 0.
    return { ...base, f1: 0, dscTp: 0, precision: 0, recall: 0, tp: 0, fp: 0, fn: 0, matches: [] };
  }

  // Instance sizes and the overlaps of every overlapping pair, in one pass.
  const gtSize = new Float64Array(nGt + 1);
  const predSize = new Float64Array(nPred + 1);
  const overlap = new Map<number, number>();
  const stride = nPred + 1;
  for (let i = 0; i < gi.ids.length; i++) {
    const a = gi.ids[i];
    const b = pi.ids[i];
    gtSize[a]++;
    predSize[b]++;
    if (a !== 0 && b !== 0) {
      const key = a * stride + b;
      overlap.set(key, (overlap.get(key) ?? 0) + 1);
    }
  }
  const nMin = Math.min(nGt, nPred);
  interface Pair {
    gt: number;
    pred: number;
    iou: number;
    overlap: number;
  }
  const pairs: Pair[] = [];
  for (const [key, o] of overlap) {
    const a = Math.floor(key / stride);
    const b = key % stride;
    pairs.push({ gt: a, pred: b, overlap: o, iou: o / (predSize[b] + gtSize[a] - o) });
  }

  // Assignment per connected group of overlapping instances (non-overlapping pairs cost 0).
  const root = groups(
    nGt + nPred,
    pairs.map((q) => [q.gt - 1, nGt + q.pred - 1]),
  );
  const byGroup = new Map<number, Pair[]>();
  for (const q of pairs) {
    const r = root[q.gt - 1];
    const list = byGroup.get(r);
    if (list) list.push(q);
    else byGroup.set(r, [q]);
  }
  const matched: Pair[] = [];
  for (const list of byGroup.values()) {
    const rows = [...new Set(list.map((q) => q.gt))].sort((a, b) => a - b);
    const cols = [...new Set(list.map((q) => q.pred))].sort((a, b) => a - b);
    const rowOf = new Map(rows.map((r, k) => [r, k]));
    const colOf = new Map(cols.map((c, k) => [c, k]));
    const data = new Float64Array(rows.length * cols.length);
    const at = new Map<number, Pair>();
    for (const q of list) {
      const k = rowOf.get(q.gt)! * cols.length + colOf.get(q.pred)!;
      data[k] = -(q.iou >= threshold ? 1 : 0) - q.iou / (2 * nMin);
      at.set(k, q);
    }
    const assignment = linearSumAssignment({ rows: rows.length, cols: cols.length, data });
    assignment.rows.forEach((r, k) => {
      const q = at.get(r * cols.length + assignment.cols[k]);
      if (q && q.iou >= threshold) matched.push(q);
    });
  }
  matched.sort((a, b) => a.gt - b.gt);

  const tp = matched.length;
  const fp = nPred - tp;
  const fn = nGt - tp;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
  const matches: InstanceMatch[] = matched.map((q) => ({
    gt: q.gt,
    pred: q.pred,
    gtValue: gi.values[q.gt - 1],
    predValue: pi.values[q.pred - 1],
    iou: q.iou,
    dice: (2 * q.overlap) / (gtSize[q.gt] + predSize[q.pred]),
  }));
  const dscTp = matches.length > 0 ? matches.reduce((s, m) => s + m.dice, 0) / matches.length : 0;
  return { ...base, f1, dscTp, precision, recall, tp, fp, fn, matches };
}
