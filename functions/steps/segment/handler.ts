/**
 * Segment step (the GPU container task, Task state `Segment`): loads the model once per process,
 * runs Medal S stage 1 on the stage-1 volume preprocess wrote and, when the model has stage 2,
 * stage 2 on the ROI cropped from the scaled original-grid image; writes the final working-grid
 * label map (on its true geometry, the ROI's grid after stage 2), the max-probability map and
 * segment.json. Returns references only.
 */
import { caseFile } from '../../lib/case/case-files.js';
import { type CaseRequest, parseCaseRequest } from '../../lib/case/case-request.js';
import { storageFor } from '../../lib/storage/index.js';
import type { Volume } from '../../lib/geometry/volume.js';
import { readVolume, writeCaseVolume } from '../../lib/image/volume-store.js';
import type { PreprocessRecord } from '../preprocess/preprocess.js';
import { readUserMask } from '../../lib/image/user-mask.js';
import { restoreLabels } from '../../lib/resample/restore-labels.js';
import { localModelFolder } from '../../lib/model/index.js';
import { type LoadedModel, loadModel } from './model-loader.js';
import type { StageProgress } from './run-stage.js';
import { segmentImage } from './segment.js';
import { loggedStep } from '../../lib/core/step-log.js';

export interface SegmentEvent {
  request: unknown;
  model: string;
  preprocess: string;
}

export interface SegmentOutput {
  request: CaseRequest;
  model: string;
  preprocess: string;
  segment: string;
  working: string;
}

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
  const request = parseCaseRequest(event?.request);
  const record = await storageFor(event.preprocess).readJson<
    PreprocessRecord & { files: { stage1: string; scaled: string } }
  >(event.preprocess);
  const model = await modelFor(event.model, request.options?.device ?? 'auto');
  const stage1 = (await readVolume(record.files.stage1)) as Volume<'float32'>;
  const scaled = model.stages[2] ? ((await readVolume(record.files.scaled)) as Volume<'float32'>) : undefined;
  const userMask = record.mask
    ? await readUserMask(record.mask.uri, {
        geometry: record.input.geometry,
        ...(record.input.npz ? { npzShape: record.input.npz.shape as [number, number, number] } : {}),
        prompts: record.prompts,
      })
    : undefined;
  const result = await segmentImage(
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
  await writeCaseVolume(result.maxProbability, request.output, 'maxProbability');
  const segment = caseFile(request.output, 'segment');
  await storageFor(segment).writeJson(segment, result.record);
  return { request, model: event.model, preprocess: event.preprocess, segment, working };
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('Segment', segmentStep);
