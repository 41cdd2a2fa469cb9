/**
 * MetricsReport step (Lambda `metricsReport`, Task state `MetricsReport`): with ground truth,
 * the challenge metrics of the restored label map as metrics.json. Returns the case's outputs.
 */
import { caseFile } from '../core/case-files.js';
import { type CaseRequest, parseCaseRequest } from '../core/case-request.js';
import { storageFor } from '../core/storage/index.js';
import { readVolume } from '../core/volume-store.js';
import type { PreprocessRecord } from '../preprocess/preprocess.js';
import { instanceMetrics, semanticMetrics } from './index.js';

export interface MetricsReportEvent {
  request: unknown;
  preprocess: string;
  segment?: string;
  seg: string;
}

export interface MetricsReportOutput {
  request: CaseRequest;
  outputs: Record<string, string>;
}

type Prompted = Pick<PreprocessRecord['prompts'][number], 'value' | 'name'>;

/** metrics.json: case-level figures at the top level, per class below, labels scored by value. */
export async function caseMetrics(
  gtUri: string,
  segUri: string,
  prompts: readonly Prompted[],
  instance: boolean,
  tolerance?: number,
) {
  const [gt, pred] = await Promise.all([readVolume(gtUri), readVolume(segUri)]);
  if (instance) {
    const m = await instanceMetrics(gt, pred);
    return {
      task: 'instance',
      f1: m.f1,
      dsc_tp: m.dscTp,
      precision: m.precision,
      recall: m.recall,
      tp: m.tp,
      fp: m.fp,
      fn: m.fn,
    };
  }
  const m = await semanticMetrics(gt, pred, {
    labels: prompts.map((p) => p.value),
    ...(tolerance ? { tolerance } : {}),
  });
  const names = new Map(prompts.map((p) => [p.value, p.name]));
  return {
    task: 'semantic',
    dsc: m.dsc,
    nsd: m.nsd,
    tolerance_mm: m.tolerance,
    classes: m.classes.map((c) => ({
      value: c.label,
      name: names.get(c.label) ?? null,
      dsc: c.dsc,
      nsd: c.nsd,
    })),
  };
}

export async function handler(event: MetricsReportEvent): Promise<MetricsReportOutput> {
  const request = parseCaseRequest(event?.request);
  const outputs: Record<string, string> = { seg: event.seg, preprocess: event.preprocess };
  if (event.segment) outputs.segment = event.segment;
  const record = await storageFor(event.preprocess).readJson<PreprocessRecord>(event.preprocess);
  // Restore writes seg.npz beside seg.nii.gz for a challenge npz input.
  if (record.input.npz) outputs.segNpz = caseFile(request.output, 'segNpz');
  if (request.groundTruth) {
    const metrics = await caseMetrics(
      request.groundTruth,
      event.seg,
      record.prompts,
      record.instance,
      request.options?.tolerance,
    );
    outputs.metrics = caseFile(request.output, 'metrics');
    await storageFor(outputs.metrics).writeJson(outputs.metrics, metrics);
  }
  return { request, outputs };
}
