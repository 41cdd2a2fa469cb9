/**
 * Preprocess step (Lambda `preprocess`, Task state `Preprocess`): reads and checks the image,
 * resolves the prompts, scales and resamples for stage 1, and writes the scaled image, the
 * stage-1 volume and preprocess.json under the case's output prefix. Returns references only.
 */
import { caseFile } from '../../lib/case/case-files.js';
import { InvalidInputError } from '../../lib/core/errors.js';
import { normalizePrompts, parseCaseRequest, type CaseRequest } from '../../lib/case/case-request.js';
import { storageFor } from '../../lib/storage/index.js';
import { writeCaseVolume } from '../../lib/image/volume-store.js';
import { readModelManifest } from '../../lib/model/folder.js';
import { preprocessImage } from './preprocess.js';
import { readImageInput } from '../../lib/image/read-input.js';
import { readUserMask } from '../../lib/image/user-mask.js';
import { loggedStep } from '../../lib/core/step-log.js';

export interface PreprocessEvent {
  request: unknown;
  /** Validate's time, from the workflow state (absent when Preprocess is called alone). */
  validateSeconds?: unknown;
}

export interface PreprocessOutput {
  request: CaseRequest;
  model: string;
  preprocess: string;
}

async function preprocessStep(event: PreprocessEvent): Promise<PreprocessOutput> {
  const started = Date.now();
  const request = parseCaseRequest(event?.request);
  // The request's model, else the deployment's (MEDALS_MODEL). The CLI passes its default (the
  // generated phantom model) in the request: a Lambda never generates one.
  const model = request.model ?? process.env.MEDALS_MODEL;
  if (!model) {
    throw new InvalidInputError(
      'the request names no model and MEDALS_MODEL is not set: give `model` (a model folder, models/README.md)',
    );
  }
  const { manifest } = await readModelManifest(model);
  // Shared with the steps after this one when they run in this process (the local engine).
  const input = await readImageInput(request.image, { maxVoxels: request.options?.maxVoxels, shared: true });
  const given = request.prompts ?? (input.npz?.textPrompts as CaseRequest['prompts'] | undefined);
  if (!given) {
    throw new InvalidInputError(
      `the request has no prompts and ${request.image} carries no text_prompts: give prompts (class names)`,
    );
  }
  const { prompts, instance } = normalizePrompts(given);
  // The mask is checked here, before any work, and read again by segment, which uses it.
  const mask = request.mask
    ? await readUserMask(request.mask, {
        geometry: input.volume.geometry,
        ...(input.npz ? { npzShape: input.npz.shape } : {}),
        prompts,
        maxVoxels: request.options?.maxVoxels,
      })
    : undefined;
  const result = await preprocessImage(
    input,
    {
      prompts,
      instance: request.options?.instance ?? instance,
      modality: request.modality,
      options: request.options,
    },
    manifest.stages['1'],
  );
  // Only stage 2 reads the scaled image: kept for Segment only when the model has that stage.
  const hasStage2 = manifest.stages['2'] !== undefined;
  const files = {
    scaled: await writeCaseVolume(result.scaled, request.output, 'scaled', { shared: hasStage2 }),
    stage1: await writeCaseVolume(result.stage1, request.output, 'stage1', { shared: true }),
  };
  // A raw CT whose prompts span tissue groups: the other groups' images, named after the group.
  const passes = [];
  for (const [i, pass] of (result.passes ?? []).entries()) {
    const variant = result.record.intensity[i + 1].group ?? `pass${i + 2}`;
    passes.push({
      scaled: await writeCaseVolume(pass.scaled, request.output, 'scaled', { shared: hasStage2, variant }),
      stage1: await writeCaseVolume(pass.stage1, request.output, 'stage1', { shared: true, variant }),
    });
  }
  const record = caseFile(request.output, 'preprocess');
  await storageFor(record).writeJson(record, {
    ...result.record,
    ...(mask && request.mask ? { mask: { uri: request.mask, values: mask.values } } : {}),
    model: { dir: model, name: manifest.name },
    files: passes.length > 0 ? { ...files, passes } : files,
    timings: {
      ...(typeof event?.validateSeconds === 'number' && event.validateSeconds >= 0
        ? { validateSeconds: event.validateSeconds }
        : {}),
      preprocessSeconds: (Date.now() - started) / 1000,
    },
  });
  return { request, model, preprocess: record };
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('Preprocess', preprocessStep);
