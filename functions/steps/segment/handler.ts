/**
 * Segment step (the GPU container task, Task state `Segment`): loads the model once per process,
 * runs Medal S stage 1 on the stage-1 volume preprocess wrote and, when the model has stage 2,
 * stage 2 on the ROI cropped from the scaled original-grid image; writes the final working-grid
 * label map (on its true geometry, the ROI's grid after stage 2), the max-probability map and
 * segment.json. Returns references only (record.ts).
 */
import { caseFile } from '../../lib/case/case-files.js';
import { type CaseRequest, parseCaseRequest } from '../../lib/case/case-request.js';
import { storageFor } from '../../lib/storage/index.js';
import type { Volume } from '../../lib/geometry/volume.js';
import { readVolume, writeCaseVolume } from '../../lib/image/volume-store.js';
import type { z } from 'zod';
import { parseRecord } from '../../lib/case/records.js';
import { preprocessOutputSchema, readPreprocessRecord, windowPasses } from '../preprocess/record.js';
import type { segmentOutputSchema } from './record.js';
import { readUserMask } from '../../lib/image/user-mask.js';
import { restoreLabels } from '../../lib/resample/restore-labels.js';
import { localModelFolder } from '../../lib/model/index.js';
import { type LoadedModel, loadModel } from './model-loader.js';
import type { StageProgress } from './run-stage.js';
import { segmentImage } from './segment.js';
import { segmentWindowPasses } from './window-passes.js';
import { loggedStep } from '../../lib/core/step-log.js';

export type SegmentEvent = z.input<typeof preprocessOutputSchema>;
export type SegmentOutput = z.output<typeof segmentOutputSchema> & { request: CaseRequest };

const models = new Map<string, Promise<LoadedModel>>();

/** Sessions are expensive to open: a warm container reuses them across cases. */
function modelFor(dir: string, device: 'cpu' | 'cuda' | 'auto'): Promise<LoadedModel> {
  const key = `${dir}|${device}`;
  let model = models.get(key);
  if (!model) {
    // Every stage the manifest has: stage 2 runs when the model has it.
    // An s3:// model folder is cached locally first, keyed by its manifest's hash (fetch.ts).
    model = localModelFolder(dir).then((local) => loadModel(local, { device }));
    models.set(key, model);
    model.catch(() => models.delete(key));
  }
  return model;
}

async function segmentStep(
  event: SegmentEvent,
  onProgress?: (p: StageProgress) => void,
): Promise<SegmentOutput> {
  const state = parseRecord(preprocessOutputSchema, event, 'the Segment step input');
  const request = parseCaseRequest(state.request);
  const record = await readPreprocessRecord(state.preprocess);
  const model = await modelFor(state.model, request.options?.device ?? 'auto');
  // Preprocess's volumes, decoded again only when Preprocess ran in another process.
  const stage1 = (await readVolume(record.files.stage1, undefined, { shared: 'take' })) as Volume<'float32'>;
  const scaled = model.stages[2]
    ? ((await readVolume(record.files.scaled, undefined, { shared: 'take' })) as Volume<'float32'>)
    : undefined;
  const userMask = record.mask
    ? await readUserMask(record.mask.uri, {
        geometry: record.input.geometry,
        ...(record.input.npz ? { npzShape: record.input.npz.shape } : {}),
        prompts: record.prompts,
      })
    : undefined;
  const passes = windowPasses(record);
  // A raw CT whose prompts span tissue groups: a pass per group, merged (window-passes.ts).
  const result =
    passes.length > 1
      ? await segmentWindowPasses(model, record, passes, {
          first: { stage1, scaled },
          seed: request.options?.seed ?? 0,
          ...(userMask ? { userMask } : {}),
          onProgress,
        })
      : await segmentImage(
          model,
          record.prompts,
          {
            stage1Image: stage1,
            scaled,
            instance: record.instance,
            seed: request.options?.seed ?? 0,
            ...(userMask ? { userMask } : {}),
          },
          onProgress,
        );
  const working = await writeCaseVolume(result.labels, request.output, 'working');
  const stage1OnImage = result.stage1OnImage ?? result.stage1?.labels;
  if (request.options?.stage1Labels && stage1OnImage) {
    // restoreLabels keeps a map already on the image grid and resamples one that is not.
    await writeCaseVolume(
      restoreLabels(stage1OnImage, record.input.geometry),
      request.output,
      'stage1Labels',
    );
  }
  const maxProbability = await writeCaseVolume(result.maxProbability, request.output, 'maxProbability');
  const segment = caseFile(request.output, 'segment');
  await storageFor(segment).writeJson(segment, result.record);
  return { request, model: state.model, preprocess: state.preprocess, segment, working, maxProbability };
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('Segment', segmentStep);
