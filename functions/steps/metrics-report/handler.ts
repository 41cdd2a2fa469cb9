/**
 * MetricsReport step (Lambda `metricsReport`, Task state `MetricsReport`): statistics of every
 * structure on the original image, the challenge metrics when ground truth is given, the
 * provenance record and report.html, all under the case's output prefix. Returns the outputs.
 */
import { caseFile } from '../../lib/case/case-files.js';
import { type CaseRequest, parseCaseRequest } from '../../lib/case/case-request.js';
import { readVolume } from '../../lib/image/volume-store.js';
import type { z } from 'zod';
import { parseRecord } from '../../lib/case/records.js';
import { readPreprocessRecord } from '../preprocess/record.js';
import { readSegmentRecord } from '../segment/record.js';
import { readRestoreRecord, restoreOutputSchema } from '../restore/record.js';
import { readImageInput } from '../../lib/image/read-input.js';
import { writeReport } from '../../lib/report/index.js';
import { structureStats } from '../../lib/stats/index.js';
import { evaluateFiles } from '../../lib/metrics/evaluate.js';
import type { MetricsDocument } from '../../lib/metrics/outputs.js';
import { writeCaseResults, writeProvenanceJson } from './outputs.js';
import { buildProvenance, withTiming } from './provenance.js';
import { INSTANCE_OUTPUT } from '../../lib/medal-s/index.js';
import { loggedStep } from '../../lib/core/step-log.js';

export type MetricsReportEvent = z.input<typeof restoreOutputSchema>;

export interface MetricsReportOutput {
  request: CaseRequest;
  outputs: Record<string, string>;
}

async function metricsReportStep(event: MetricsReportEvent): Promise<MetricsReportOutput> {
  const started = Date.now();
  const state = parseRecord(restoreOutputSchema, event, 'the MetricsReport step input');
  const request = parseCaseRequest(state.request);
  const record = await readPreprocessRecord(state.preprocess);
  const segment = state.segment ? await readSegmentRecord(state.segment) : undefined;
  const restore = await readRestoreRecord(state.restore);
  const outputs: Record<string, string> = {
    seg: state.seg,
    preprocess: state.preprocess,
    restore: state.restore,
  };
  if (state.segment) outputs.segment = state.segment;
  // Restore writes seg.npz beside seg.nii.gz for a challenge npz input.
  if (record.input.npz) outputs.segNpz = caseFile(request.output, 'segNpz');

  const names = new Map(record.prompts.map((p) => [p.value, p.name]));
  const values = record.prompts.map((p) => p.value);
  // The last readers of the input image and seg.nii.gz: taken over from earlier steps when they
  // ran in this process (the local engine), decoded otherwise.
  const [image, seg] = await Promise.all([
    readImageInput(request.image, { maxVoxels: request.options?.maxVoxels, shared: 'take' }),
    readVolume(state.seg, undefined, { shared: 'take' }),
  ]);
  // An instance task's label map is binary (lib/medal-s/output-rules.ts INSTANCE_OUTPUT, as the
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
      record.input.npz && request.groundTruth.toLowerCase().endsWith('.npz') ? outputs.segNpz! : state.seg;
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
    model: { dir: record.model.dir },
    options: { ...(request.options ?? {}), prompts: request.prompts, modality: record.modality },
    ...(segment ? { executionProvider: segment.executionProvider } : {}),
    timings: {
      ...(record.timings.validateSeconds !== undefined ? { Validate: record.timings.validateSeconds } : {}),
      Preprocess: record.timings.preprocessSeconds,
      ...(segment ? { Segment: segment.seconds } : {}),
      Restore: restore.seconds,
      MetricsReport: (Date.now() - started) / 1000,
    },
  });
  const written = await writeCaseResults(request.output, { stats, ...(metrics ? { metrics } : {}) });
  for (const [key, uri] of Object.entries(written)) if (uri) outputs[key] = uri;
  // provenance.json goes last, so that this step's time there includes writing the report (the
  // report embeds the record as built above).
  const report = await writeReport(caseFile(request.output, 'report'), {
    image: image.volume,
    labels: seg,
    stats,
    metrics: metrics ?? null,
    provenance,
  });
  outputs.report = report.uri;
  outputs.provenance = await writeProvenanceJson(
    caseFile(request.output, 'provenance'),
    withTiming(provenance, 'MetricsReport', (Date.now() - started) / 1000),
  );
  return { request, outputs };
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('MetricsReport', metricsReportStep);
