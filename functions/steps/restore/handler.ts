/**
 * Restore step (Lambda `restore`, Task state `Restore`): the working-grid label map back onto
 * the input's exact grid as seg.nii.gz, plus seg.npz (segs int16 (D, H, W), spacing as the input
 * stored it) when the input was a challenge npz; restore.json records the post-processing.
 */
import { caseFile } from '../../lib/case/case-files.js';
import { type CaseRequest, parseCaseRequest } from '../../lib/case/case-request.js';
import { type PromptDict, writeChallengeNpz } from '../../lib/image/npz/index.js';
import { storageFor } from '../../lib/storage/index.js';
import { Volume, boxGeometry } from '../../lib/geometry/volume.js';
import { readVolume, writeVolume } from '../../lib/image/volume-store.js';
import type { z } from 'zod';
import { parseRecord } from '../../lib/case/records.js';
import { readPreprocessRecord } from '../preprocess/record.js';
import { type RestoreRecord, type RestoreOutput as RestoreState, restoreInputSchema } from './record.js';
import { improvedClassesApply } from '../../lib/medal-s/index.js';
import { improvedClassesBox, postprocessLabels } from './postprocess.js';
import { type LabelVolume, restoreLabels } from '../../lib/resample/restore-labels.js';
import { resampleImageToGrid } from '../../lib/resample/resample.js';
import { loggedStep } from '../../lib/core/step-log.js';

export type RestoreEvent = z.input<typeof restoreInputSchema>;
export type RestoreOutput = RestoreState & { request: CaseRequest };

async function restoreStep(event: RestoreEvent): Promise<RestoreOutput> {
  const started = Date.now();
  const state = parseRecord(restoreInputSchema, event, 'the Restore step input');
  const request = parseCaseRequest(state.request);
  const record = await readPreprocessRecord(state.preprocess);
  const working = (await readVolume(state.working)) as LabelVolume;
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
        await readVolume(state.maxProbability),
        boxGeometry(record.input.geometry, probabilityBox),
      )
    : undefined;
  const { labels: restored, record: postprocess } = postprocessLabels(labels, {
    instance: record.instance,
    improvedValues,
    ...(maxProbability && probabilityBox ? { maxProbability, probabilityBox } : {}),
  });
  const seg = caseFile(request.output, 'seg');
  await writeVolume(restored, seg, undefined, { shared: true });
  const out: RestoreOutput = {
    request,
    preprocess: state.preprocess,
    segment: state.segment,
    restore: caseFile(request.output, 'restore'),
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
  const restoreRecord: RestoreRecord = { postprocess, seconds: (Date.now() - started) / 1000 };
  await storageFor(out.restore).writeJson(out.restore, restoreRecord);
  return out;
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('Restore', restoreStep);
