/**
 * MetricsReport step (Lambda `metricsReport`, Task state `MetricsReport`): statistics of every
 * structure on the original image, the challenge metrics when ground truth is given, the
 * provenance record and report.html, all under the case's output prefix. Returns the outputs.
 */
import { caseFile } from '../../lib/case/case-files.js';
import { type CaseRequest, parseCaseRequest } from '../../lib/case/case-request.js';
import { storageFor } from '../../lib/storage/index.js';
import { readVolume } from '../../lib/image/volume-store.js';
import type { PreprocessRecord } from '../preprocess/preprocess.js';
import { readImageInput } from '../../lib/image/read-input.js';
import { writeReport } from '../../lib/report/index.js';
import type { SegmentRecord } from '../segment/segment.js';
import { structureStats } from '../../lib/stats/index.js';
import { evaluateFiles } from '../../lib/metrics/evaluate.js';
import type { MetricsDocument } from '../../lib/metrics/outputs.js';
import { writeCaseResults } from './outputs.js';
import { buildProvenance } from './provenance.js';
import { INSTANCE_OUTPUT } from '../restore/postprocess.js';
import { loggedStep } from '../../lib/core/step-log.js';

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

type Record_ = PreprocessRecord & { model?: { dir: string }; timings?: Record<string, number> };

async function metricsReportStep(event: MetricsReportEvent): Promise<MetricsReportOutput> {
  const started = Date.now();
  const request = parseCaseRequest(event?.request);
  const record = await storageFor(event.preprocess).readJson<Record_>(event.preprocess);
  const segment = event.segment
    ? await storageFor(event.segment).readJson<SegmentRecord>(event.segment)
    : undefined;
  const outputs: Record<string, string> = { seg: event.seg, preprocess: event.preprocess };
  if (event.segment) outputs.segment = event.segment;
  // Restore writes seg.npz beside seg.nii.gz for a challenge npz input.
  if (record.input.npz) outputs.segNpz = caseFile(request.output, 'segNpz');

  const names = new Map(record.prompts.map((p) => [p.value, p.name]));
  const values = record.prompts.map((p) => p.value);
  const [image, seg] = await Promise.all([
    readImageInput(request.image, { maxVoxels: request.options?.maxVoxels }),
    readVolume(event.seg),
  ]);
  // An instance task's label map is binary (restore/postprocess.ts INSTANCE_OUTPUT, as the
  // official output): its one structure, value 1, holds the instances of every prompted class.
  const structures = record.instance
    ? {
        names: new Map([
          [INSTANCE_OUTPUT.value, [...new Set(record.prompts.map((p) => p.name))].join(' + ')],
        ]),
        values: [INSTANCE_OUTPUT.value],
      }
    : { names, values };
  const stats = await structureStats(seg, image.volume, structures);

  let metrics: MetricsDocument | undefined;
  if (request.groundTruth) {
    // A challenge npz is scored npz against npz, with the evaluator's spacing; images by geometry.
    const prediction =
      record.input.npz && request.groundTruth.toLowerCase().endsWith('.npz') ? outputs.segNpz! : event.seg;
    const prompts = Object.fromEntries([...names].map(([v, n]) => [String(v), n]));
    const scored = await evaluateFiles({
      gt: request.groundTruth,
      pred: prediction,
      promptsObject: { ...prompts, instance_label: record.instance ? 1 : 0 },
      ...(request.options?.tolerance !== undefined ? { tolerance: request.options.tolerance } : {}),
    });
    metrics = scored.document;
  }
  const provenance = await buildProvenance({
    input: request.image,
    ...(request.groundTruth ? { groundTruth: request.groundTruth } : {}),
    model: { dir: record.model?.dir },
    options: { ...(request.options ?? {}), prompts: request.prompts, modality: record.modality },
    ...(segment ? { executionProvider: segment.executionProvider } : {}),
    timings: {
      Preprocess: record.timings?.preprocessSeconds ?? 0,
      ...(segment ? { Segment: segment.seconds } : {}),
      MetricsReport: (Date.now() - started) / 1000,
    },
  });
  const written = await writeCaseResults(request.output, {
    stats,
    ...(metrics ? { metrics } : {}),
    provenance,
  });
  for (const [key, uri] of Object.entries(written)) if (uri) outputs[key] = uri;
  const report = await writeReport(caseFile(request.output, 'report'), {
    image: image.volume,
    labels: seg,
    stats,
    metrics: metrics ?? null,
    provenance,
  });
  outputs.report = report.uri;
  return { request, outputs };
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('MetricsReport', metricsReportStep);
