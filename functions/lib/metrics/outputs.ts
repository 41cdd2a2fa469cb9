/**
 * metrics.json, written through storage so it appears whole or not at all (a local file is
 * renamed into place, an S3 object is one put): the challenge metrics with the case-level
 * figures at the top level (`dsc`, `nsd` for semantic tasks; `f1`, `dsc_tp` for instance tasks)
 * and per-class figures below, classes identified by label value and named when the name is
 * known.
 *
 * A figure that is not defined (no prompted class in the ground truth: the nan-mean of nothing)
 * is NaN in memory and null in the JSON files.
 */
import { storageFor } from '../storage/index.js';
import type { InstanceMetrics } from './instance.js';
import type { SemanticMetrics } from './semantic.js';

const METRICS_FORMAT = 'medals-metrics/1';

/** Label value -> class name, as prompts.json writes it ({"1": "Liver"}) or as a Map. */
type ClassNames = Readonly<Record<string | number, string>> | ReadonlyMap<number, string>;

export function classNameOf(names: ClassNames | undefined, value: number): string | null {
  if (!names) return null;
  if (names instanceof Map) return names.get(value) ?? null;
  const name = (names as Readonly<Record<string, unknown>>)[String(value)];
  return typeof name === 'string' ? name : null;
}

interface SemanticClassDocument {
  value: number;
  name: string | null;
  dsc: number;
  nsd: number;
  gt_voxels: number;
  pred_voxels: number;
  intersection_voxels: number;
  gt_surface_mm2: number;
  pred_surface_mm2: number;
}

interface SemanticMetricsDocument {
  format: typeof METRICS_FORMAT;
  task: 'semantic';
  /** nan-mean over the scored classes (null when none was scored). */
  dsc: number;
  nsd: number;
  tolerance_mm: number;
  spacing_mm: [number, number, number];
  /** Prompted classes present in the ground truth, by ascending value. */
  classes: SemanticClassDocument[];
  /** Prompted classes the ground truth lacks: not scored, as the evaluator does. */
  not_in_ground_truth: { value: number; name: string | null }[];
  ground_truth?: string;
  prediction?: string;
}

/** The figures of an instance task, the same for the case and its one class. */
interface InstanceFigures {
  f1: number;
  dsc_tp: number;
  precision: number;
  recall: number;
  tp: number;
  fp: number;
  fn: number;
}

export interface InstanceMetricsDocument extends InstanceFigures {
  format: typeof METRICS_FORMAT;
  task: 'instance';
  iou_threshold: number;
  /** The instance class (one per instance task), with its figures. */
  classes: (InstanceFigures & {
    value: number | null;
    name: string | null;
    gt_instances: number;
    pred_instances: number;
    prediction_relabelled: boolean;
  })[];
  /** The true-positive pairs: instance label values before the evaluator's relabelling. */
  matches: { gt_value: number; pred_value: number; iou: number; dice: number }[];
  ground_truth?: string;
  prediction?: string;
}

export type MetricsDocument = SemanticMetricsDocument | InstanceMetricsDocument;

interface MetricsDocumentOptions {
  names?: ClassNames;
  /** References to what was scored, recorded as given. */
  groundTruth?: string;
  prediction?: string;
}

function sources(options: MetricsDocumentOptions) {
  return {
    ...(options.groundTruth !== undefined ? { ground_truth: options.groundTruth } : {}),
    ...(options.prediction !== undefined ? { prediction: options.prediction } : {}),
  };
}

/** metrics.json of a semantic task. */
export function semanticMetricsDocument(
  m: SemanticMetrics,
  options: MetricsDocumentOptions = {},
): SemanticMetricsDocument {
  return {
    format: METRICS_FORMAT,
    task: 'semantic',
    dsc: m.dsc,
    nsd: m.nsd,
    tolerance_mm: m.tolerance,
    spacing_mm: [...m.spacing],
    classes: m.classes.map((c) => ({
      value: c.label,
      name: classNameOf(options.names, c.label),
      dsc: c.dsc,
      nsd: c.nsd,
      gt_voxels: c.gtVoxels,
      pred_voxels: c.predVoxels,
      intersection_voxels: c.intersection,
      gt_surface_mm2: c.gtSurfaceArea,
      pred_surface_mm2: c.predSurfaceArea,
    })),
    not_in_ground_truth: m.notInGroundTruth.map((value) => ({
      value,
      name: classNameOf(options.names, value),
    })),
    ...sources(options),
  };
}

/**
 * metrics.json of an instance task. `value` is the instance class's label value (the prompt's
 * key), when known; the evaluator scores all instances of the case as that one class.
 */
export function instanceMetricsDocument(
  m: InstanceMetrics,
  options: MetricsDocumentOptions & { value?: number; threshold?: number } = {},
): InstanceMetricsDocument {
  const value = options.value ?? null;
  const figures: InstanceFigures = {
    f1: m.f1,
    dsc_tp: m.dscTp,
    precision: m.precision,
    recall: m.recall,
    tp: m.tp,
    fp: m.fp,
    fn: m.fn,
  };
  return {
    format: METRICS_FORMAT,
    task: 'instance',
    ...figures,
    iou_threshold: options.threshold ?? 0.5,
    classes: [
      {
        value,
        name: value === null ? null : classNameOf(options.names, value),
        ...figures,
        gt_instances: m.gtInstances,
        pred_instances: m.predInstances,
        prediction_relabelled: m.predictionRelabelled,
      },
    ],
    matches: m.matches.map((p) => ({
      gt_value: p.gtValue,
      pred_value: p.predValue,
      iou: p.iou,
      dice: p.dice,
    })),
    ...sources(options),
  };
}

/** Writes metrics.json at `uri` (atomically); returns `uri`. */
export async function writeMetricsJson(uri: string, doc: MetricsDocument): Promise<string> {
  await storageFor(uri).writeJson(uri, doc);
  return uri;
}
