/**
 * Evaluating a prediction file against a ground-truth file, as the challenge evaluator does:
 * two images of the same geometry, or two challenge npz files (the ground truth's `gts` and
 * `spacing`, applied to (D, H, W); the prediction's `segs`). Classes are scored by label value:
 * from a prompts object, else the ground-truth npz's `text_prompts`, else every label present.
 * Used by `medals evaluate` and by the MetricsReport step.
 */
import { InvalidInputError } from '../core/errors.js';
import { imageExtension } from '../image/input/extension.js';
import { type NpyArray, type PromptDict, openNpz, toNumbers } from '../image/npz/index.js';
import { parseUri, storageFor } from '../storage/index.js';
import { readVolume } from '../image/volume-store.js';
import { IDENTITY, type Vec3, Volume } from '../geometry/volume.js';
import { evaluatorSpacing, instanceMetrics, semanticMetrics } from './index.js';
import { type MetricsDocument, instanceMetricsDocument, semanticMetricsDocument } from './outputs.js';

/** Label values and names to score, and whether the prompts mark an instance task. */
interface ScoredLabels {
  names: Map<number, string>;
  /** undefined: every label of the ground truth. */
  values?: number[];
  instance: boolean;
  source: 'prompts' | 'text_prompts' | 'ground truth';
}

/** Value -> name from a prompts object ({"1": "liver", ..., "instance_label": 0 | 1}). */
function labelsFromPrompts(dict: unknown, source: ScoredLabels['source'], where: string): ScoredLabels {
  if (dict === null || typeof dict !== 'object' || Array.isArray(dict)) {
    throw new InvalidInputError(
      `${where} must be a JSON object of label value -> class name, like {"1": "liver"}`,
    );
  }
  const names = new Map<number, string>();
  let instance = false;
  for (const [key, name] of Object.entries(dict as Record<string, unknown>)) {
    if (key === 'instance_label') {
      instance = name === 1 || name === true;
      continue;
    }
    if (!/^[0-9]+$/.test(key) || Number(key) === 0) {
      throw new InvalidInputError(`${where}: key '${key}' is not a label value (a positive integer)`);
    }
    names.set(Number(key), typeof name === 'string' ? name : String(name));
  }
  if (names.size === 0) throw new InvalidInputError(`${where} names no label value`);
  return { names, values: [...names.keys()].sort((a, b) => a - b), instance, source };
}

/** An integer npz array as a label volume array (64-bit and unsigned 32-bit values keep their low 32 bits). */
function labelData(a: NpyArray, what: string): Volume['data'] {
  switch (a.dtype) {
    case 'bool':
    case 'uint8':
    case 'int16':
    case 'uint16':
    case 'int32':
      return a.data as Volume['data'];
    case 'int8':
      return Int16Array.from(a.data as Int8Array);
    case 'uint32':
      return new Int32Array((a.data as Uint32Array).buffer, a.data.byteOffset, a.data.length);
    case 'int64':
    case 'uint64': {
      const src = a.data as BigInt64Array | BigUint64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(BigInt.asIntN(32, src[i]));
      return out;
    }
    default:
      throw new InvalidInputError(`${what} must hold integer labels, got ${a.dtype}`);
  }
}

const isNpz = (uri: string) => {
  const location = parseUri(uri);
  return imageExtension(location.scheme === 's3' ? location.key : location.path) === '.npz';
};

interface EvaluationPair {
  gt: Volume;
  pred: Volume;
  /** text_prompts of a ground-truth npz. */
  textPrompts?: PromptDict;
}

/** Reads a (ground truth, prediction) pair: both images, or both challenge npz files. */
async function readEvaluationPair(gtUri: string, predUri: string): Promise<EvaluationPair> {
  const [gtNpz, predNpz] = [isNpz(gtUri), isNpz(predUri)];
  if (gtNpz !== predNpz) {
    throw new InvalidInputError(
      `the ground truth (${gtUri}) and the prediction (${predUri}) must both be challenge npz files or both be images`,
    );
  }
  if (!gtNpz) {
    const [gt, pred] = await Promise.all([readVolume(gtUri), readVolume(predUri)]);
    return { gt, pred };
  }
  const [gtBytes, predBytes] = await Promise.all([
    storageFor(gtUri).read(gtUri),
    storageFor(predUri).read(predUri),
  ]);
  const g = openNpz(gtBytes);
  if (!g.has('gts'))
    throw new InvalidInputError(`${gtUri} has no gts array (it holds: ${g.keys.join(', ') || 'nothing'})`);
  if (!g.has('spacing')) throw new InvalidInputError(`${gtUri} has no spacing array`);
  const gts = g.get('gts');
  const spacing = g.get('spacing');
  if (gts.dtype === 'object' || gts.shape.length !== 3) {
    throw new InvalidInputError(
      `${gtUri}: gts must be a (D, H, W) label array, got ${gts.dtype} (${gts.shape.join(', ')})`,
    );
  }
  if (spacing.dtype === 'object') throw new InvalidInputError(`${gtUri}: spacing must be 3 numbers`);
  const p = openNpz(predBytes);
  if (!p.has('segs'))
    throw new InvalidInputError(`${predUri} has no segs array (it holds: ${p.keys.join(', ') || 'nothing'})`);
  const segs = p.get('segs');
  if (segs.dtype === 'object' || segs.shape.length !== 3) {
    throw new InvalidInputError(
      `${predUri}: segs must be a (D, H, W) label array, got ${segs.dtype} (${segs.shape.join(', ')})`,
    );
  }
  // (D, H, W) C order is a Volume of size (W, H, D); the evaluator's spacing, origin 0, identity.
  const spacingXyz: Vec3 = evaluatorSpacing(toNumbers(spacing));
  const grid = (shape: number[]): Vec3 => [shape[2], shape[1], shape[0]];
  const geometry = { spacing: spacingXyz, origin: [0, 0, 0] as Vec3, direction: IDENTITY };
  const gt = new Volume({ ...geometry, size: grid(gts.shape) }, labelData(gts, `${gtUri} gts`));
  const pred = new Volume({ ...geometry, size: grid(segs.shape) }, labelData(segs, `${predUri} segs`));
  let textPrompts: PromptDict | undefined;
  if (g.has('text_prompts')) {
    const tp = g.get('text_prompts');
    if (tp.dtype === 'object') textPrompts = tp.value;
  }
  return { gt, pred, ...(textPrompts ? { textPrompts } : {}) };
}

interface EvaluateRequest {
  gt: string;
  pred: string;
  /** A prompts JSON file (value -> name). */
  prompts?: string;
  /** The same as an object, e.g. a case's resolved prompts (wins over `prompts`). */
  promptsObject?: unknown;
  tolerance?: number;
  instance?: boolean;
}

interface EvaluateResult {
  document: MetricsDocument;
  labels: ScoredLabels;
}

/** Scores a pair as the challenge evaluator does; the metrics.json document. */
export async function evaluateFiles(req: EvaluateRequest): Promise<EvaluateResult> {
  const pair = await readEvaluationPair(req.gt, req.pred);
  let labels: ScoredLabels;
  if (req.promptsObject !== undefined) {
    labels = labelsFromPrompts(req.promptsObject, 'prompts', 'the case prompts');
  } else if (req.prompts !== undefined) {
    labels = labelsFromPrompts(await storageFor(req.prompts).readJson(req.prompts), 'prompts', req.prompts);
  } else if (pair.textPrompts) {
    labels = labelsFromPrompts(pair.textPrompts, 'text_prompts', `${req.gt} text_prompts`);
  } else {
    labels = { names: new Map(), instance: false, source: 'ground truth' };
  }
  const instance = req.instance ?? labels.instance;
  const sources = { names: labels.names, groundTruth: req.gt, prediction: req.pred };
  if (instance) {
    const m = await instanceMetrics(pair.gt, pair.pred);
    const value = labels.values?.length === 1 ? labels.values[0] : undefined;
    return {
      document: instanceMetricsDocument(m, { ...sources, ...(value !== undefined ? { value } : {}) }),
      labels,
    };
  }
  const m = await semanticMetrics(pair.gt, pair.pred, {
    ...(labels.values ? { labels: labels.values } : {}),
    ...(req.tolerance !== undefined ? { tolerance: req.tolerance } : {}),
  });
  return { document: semanticMetricsDocument(m, sources), labels };
}
