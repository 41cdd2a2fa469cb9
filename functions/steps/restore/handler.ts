/**
 * Restore step (Lambda `restore`, Task state `Restore`): the working-grid label map back onto
 * the input's exact grid as seg.nii.gz, plus seg.npz (segs int16 (D, H, W), spacing as the input
 * stored it) when the input was a challenge npz.
 */
import { caseFile } from '../../lib/case/case-files.js';
import { type CaseRequest, parseCaseRequest } from '../../lib/case/case-request.js';
import { type PromptDict, writeChallengeNpz } from '../../lib/image/npz/index.js';
import { storageFor } from '../../lib/storage/index.js';
import { Volume, boxGeometry } from '../../lib/geometry/volume.js';
import { readVolume, writeVolume } from '../../lib/image/volume-store.js';
import type { PreprocessRecord } from '../preprocess/preprocess.js';
import { improvedClassesApply, improvedClassesBox, postprocessLabels } from './postprocess.js';
import { type LabelVolume, restoreLabels } from '../../lib/resample/restore-labels.js';
import { resampleImageToGrid } from '../../lib/resample/resample.js';
import { loggedStep } from '../../lib/core/step-log.js';

export interface RestoreEvent {
  request: unknown;
  preprocess: string;
  segment?: string;
  working: string;
}

export interface RestoreOutput {
  request: CaseRequest;
  preprocess: string;
  segment?: string;
  seg: string;
  segNpz?: string;
}

async function restoreStep(event: RestoreEvent): Promise<RestoreOutput> {
  const request = parseCaseRequest(event?.request);
  const record = await storageFor(event.preprocess).readJson<PreprocessRecord>(event.preprocess);
  const working = (await readVolume(event.working)) as LabelVolume;
  const improvedValues = record.prompts.filter((p) => p.improved).map((p) => p.value);
  const labels = restoreLabels(working, record.input.geometry);
  // The improved-classes rule reads probabilities only where those classes are: resample the
  // max-probability map onto their box of the image grid, not onto the whole grid. On a volume
  // too large for the rule (IMPROVED_CLASSES_LIMIT) it is not read at all.
  const probabilityBox =
    !record.instance && improvedValues.length > 0 && improvedClassesApply(labels.size)
      ? improvedClassesBox(labels, improvedValues)
      : undefined;
  const maxProbability = probabilityBox
    ? await resampleImageToGrid(
        await readVolume(caseFile(request.output, 'maxProbability')),
        boxGeometry(record.input.geometry, probabilityBox),
      )
    : undefined;
  const { labels: restored, record: postprocess } = postprocessLabels(labels, {
    instance: record.instance,
    improvedValues,
    ...(maxProbability && probabilityBox ? { maxProbability, probabilityBox } : {}),
  });
  if (event.segment) {
    const segmentRecord = await storageFor(event.segment).readJson<Record<string, unknown>>(event.segment);
    await storageFor(event.segment).writeJson(event.segment, { ...segmentRecord, postprocess });
  }
  const seg = caseFile(request.output, 'seg');
  await writeVolume(restored, seg);
  const out: RestoreOutput = {
    request,
    preprocess: event.preprocess,
    ...(event.segment ? { segment: event.segment } : {}),
    seg,
  };
  const npz = record.input.npz;
  if (npz) {
    const bytes = writeChallengeNpz({
      segs: new Volume<'int16'>(restored.geometry, Int16Array.from(restored.data)),
      spacing: npz.stored,
      ...(npz.textPrompts ? { textPrompts: npz.textPrompts as PromptDict } : {}),
    });
    out.segNpz = caseFile(request.output, 'segNpz');
    await storageFor(out.segNpz).write(out.segNpz, bytes);
  }
  return out;
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('Restore', restoreStep);
