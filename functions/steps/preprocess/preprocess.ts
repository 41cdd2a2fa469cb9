/**
 * Preprocess, the pure core: resolve the prompts, decide the modality, check the intensities,
 * scale them to 0..255, plan the stage-1 grid the Medal S way and resample onto it. Stage 2 is
 * planned later, on the region stage 1 finds; it crops from the scaled image on its own grid.
 */
import type { CaseOptions, Modality, Prompt } from '../../lib/case/case-request.js';
import { resampleImageToShape, workingGeometry } from '../../lib/resample/resample.js';
import { Volume } from '../../lib/geometry/volume.js';
import { resolveCase } from '../../lib/prompts/index.js';
import { checkCtRange } from '../../lib/image/input/check-volume.js';
import { scaleIntensity } from './intensity.js';
import { type Hwd, hwdFromXyz, planSpacing, xyzFromHwd } from '../../lib/medal-s/index.js';
import type { ImageInput } from '../../lib/image/read-input.js';
import type { PreprocessCore } from './record.js';

export interface StageGrid {
  patch: Hwd;
  targetSpacing: Hwd;
}

export interface PreprocessRequest {
  prompts: Prompt[];
  instance?: boolean;
  modality?: Modality;
  options?: CaseOptions;
}

export interface PreprocessResult {
  /** preprocess.json's part decided here (record.ts). */
  record: PreprocessCore;
  /** The image scaled to 0..255 on its own grid: stage 2 crops its region from it. */
  scaled: Volume<'float32'>;
  /** The scaled image on the stage-1 working grid. */
  stage1: Volume<'float32'>;
}

/** A CT in Hounsfield units has air near -1000; nothing else we read goes that low. */
function imageModality(input: ImageInput): Modality | undefined {
  return input.format !== 'npz' && input.range.min < -500 ? 'CT' : undefined;
}

export async function preprocessImage(
  input: ImageInput,
  request: PreprocessRequest,
  stage1Grid: StageGrid,
): Promise<PreprocessResult> {
  const resolved = resolveCase(request.prompts, {
    requestModality: request.modality,
    imageModality: imageModality(input),
    instance: request.instance,
  });
  const volume = input.volume;
  if (resolved.modality === 'CT' && input.format !== 'npz') checkCtRange(input.range, 'the image');
  const { data, mapping } = scaleIntensity(volume.data, {
    modality: resolved.modality,
    challengeNpz: input.format === 'npz',
    range: input.range,
  });
  const scaled = new Volume<'float32'>(volume.geometry, data);
  const plan = planSpacing({
    imageSpacing: hwdFromXyz(volume.spacing),
    shape: hwdFromXyz(volume.size),
    stage: 1,
    classKeys: resolved.prompts.map((p) => p.classKey),
    patch: stage1Grid.patch,
    targetSpacing: stage1Grid.targetSpacing,
  });
  // The plan names the thick axis in (H, W, D) = (y, x, z); the volume's axes are (x, y, z).
  const thick = plan.separateAxis === null ? null : { H: 1, W: 0, D: 2 }[plan.separateAxis];
  const stage1 = await resampleImageToShape(scaled, xyzFromHwd(plan.workingShape), { separateAxis: thick });
  const npz = input.npz;
  return {
    scaled,
    stage1,
    record: {
      input: {
        format: input.format,
        kind: input.kind,
        geometry: volume.geometry,
        range: input.range,
        ...(npz
          ? {
              npz: {
                stored: npz.spacing.stored,
                shape: npz.shape,
                decision: npz.spacing.decision,
                ...(npz.textPrompts ? { textPrompts: { ...npz.textPrompts } } : {}),
              },
            }
          : {}),
      },
      modality: { modality: resolved.modality, source: resolved.source },
      prompts: resolved.prompts,
      instance: request.instance ?? resolved.prompts.every((p) => p.branch === 'lesion'),
      intensity: mapping,
      stage1: { plan, geometry: workingGeometry(volume.geometry, xyzFromHwd(plan.workingShape)) },
    },
  };
}
