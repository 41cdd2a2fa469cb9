/** Writes a phantom case folder: the volumes, the prompts and a case request that uses them. */
import path from 'node:path';
import type { CaseRequest } from '../../lib/case/case-request.js';
import { writeVolumeFile } from '../../lib/image/image-io.js';
import { storageFor } from '../../lib/storage/index.js';
import { type Phantom, type PhantomOptions, generatePhantom } from './phantom.js';

const PHANTOM_FILES = {
  image: 'image.nii.gz',
  labels: 'labels.nii.gz',
  lesions: 'lesions.nii.gz',
  prompts: 'prompts.json',
  request: 'case.json',
} as const;

interface WrittenPhantom {
  dir: string;
  files: Record<keyof typeof PHANTOM_FILES, string>;
  phantom: Phantom;
}

/**
 * Paths in case.json are relative to the folder holding it, so the case folder can be moved;
 * the request loader resolves them against that folder.
 */
function phantomRequest(phantom: Phantom): CaseRequest {
  return {
    image: PHANTOM_FILES.image,
    prompts: phantom.prompts,
    modality: phantom.modality,
    groundTruth: PHANTOM_FILES.labels,
    output: 'output',
  };
}

export async function writePhantom(dir: string, options: PhantomOptions = {}): Promise<WrittenPhantom> {
  const phantom = generatePhantom(options);
  const out = path.resolve(dir);
  const files = Object.fromEntries(
    Object.entries(PHANTOM_FILES).map(([key, name]) => [key, path.join(out, name)]),
  ) as WrittenPhantom['files'];
  await writeVolumeFile(phantom.image, files.image);
  await writeVolumeFile(phantom.labels, files.labels);
  await writeVolumeFile(phantom.lesions, files.lesions);
  const storage = storageFor(out);
  await storage.writeJson(files.prompts, phantom.prompts);
  await storage.writeJson(files.request, phantomRequest(phantom));
  return { dir: out, files, phantom };
}
