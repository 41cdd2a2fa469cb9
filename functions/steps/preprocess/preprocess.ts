/**
 * Preprocess, the pure core: resolve the prompts, decide the modality, check the intensities,
 * scale them to 0..255 (a raw CT once per tissue group of the prompts: scalingPasses), plan the
 * stage-1 grid the Medal S way and resample onto it. Stage 2 is
 * planned later, on the region stage 1 finds; it crops from the scaled image on its own grid.
 */
import type { CaseOptions, Modality, Prompt } from '../../lib/case/case-request.js';
import { resampleImageToShape, workingGeometry } from '../../lib/resample/resample.js';
import { Volume } from '../../lib/geometry/volume.js';
import { resolveCase } from '../../lib/prompts/index.js';
import { checkCtRange } from '../../lib/image/input/check-volume.js';
import { scaleIntensity } from './intensity.js';
import {
  CT_WINDOWS,
  CT_WINDOW_GROUPS,
  type CtWindow,
  type CtWindowGroup,
  type Hwd,
  type SpacingPlan,
  hwdFromXyz,
  planSpacing,
  xyzFromHwd,
} from '../../lib/medal-s/index.js';
import type { ImageInput } from '../../lib/image/read-input.js';
import type { ResolvedPrompt } from '../../lib/prompts/resolve.js';
import { InvalidInputError } from '../../lib/core/errors.js';
import type { IntensityPass, PreprocessCore } from './record.js';

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
  /** The same two volumes for the passes after the first (record `passes`), in their order. */
  passes?: { scaled: Volume<'float32'>; stage1: Volume<'float32'> }[];
}

/** A CT in Hounsfield units has air near -1000; nothing else we read goes that low. */
function imageModality(input: ImageInput): Modality | undefined {
  return input.format !== 'npz' && input.range.min < -500 ? 'CT' : undefined;
}

/** The prompts scaled one way: one image, one stage-1 plan. */
interface ScalingPass {
  prompts: ResolvedPrompt[];
  group: CtWindowGroup | null;
  source: IntensityPass['source'];
  window?: CtWindow;
}

/**
 * How the prompts are split into passes. A raw CT (not a challenge npz, already 0..255) gets the
 * request's window for every prompt when it gives one, else one pass per tissue group of the
 * prompts (catalog `ctWindow`; a class without one counts as soft tissue), in CT_WINDOW_GROUPS
 * order, each with its group's window (lib/medal-s ct-windows.ts, medals' rule). Everything else
 * is one pass scaled as its modality is.
 */
function scalingPasses(
  prompts: ResolvedPrompt[],
  rawCt: boolean,
  window: CtWindow | undefined,
  what: string,
): ScalingPass[] {
  if (!rawCt) {
    if (window) {
      throw new InvalidInputError(
        `a window (--window) applies to a CT in Hounsfield units, and ${what}; run without it`,
      );
    }
    return [{ prompts, group: null, source: 'modality' }];
  }
  if (window) return [{ prompts, group: null, source: 'request', window }];
  return CT_WINDOW_GROUPS.flatMap((group) => {
    const inGroup = prompts.filter((p) => (p.ctWindow ?? 'soft-tissue') === group);
    return inGroup.length > 0
      ? [{ prompts: inGroup, group, source: 'tissue-group' as const, window: CT_WINDOWS[group] }]
      : [];
  });
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
  const rawCt = resolved.modality === 'CT' && input.format !== 'npz';
  if (rawCt) checkCtRange(input.range, 'the image');
  const passes = scalingPasses(
    resolved.prompts,
    rawCt,
    request.options?.window,
    input.format === 'npz'
      ? 'a challenge npz is already scaled to 0..255'
      : `the case is ${resolved.modality}`,
  );
  const scaledPasses: {
    intensity: IntensityPass;
    scaled: Volume<'float32'>;
    stage1: Volume<'float32'>;
    plan: SpacingPlan;
  }[] = [];
  for (const pass of passes) {
    const { data, mapping } = scaleIntensity(volume.data, {
      modality: resolved.modality,
      challengeNpz: input.format === 'npz',
      range: input.range,
      ...(pass.window ? { window: pass.window } : {}),
    });
    const scaled = new Volume<'float32'>(volume.geometry, data);
    const plan = planSpacing({
      imageSpacing: hwdFromXyz(volume.spacing),
      shape: hwdFromXyz(volume.size),
      stage: 1,
      classKeys: pass.prompts.map((p) => p.classKey),
      patch: stage1Grid.patch,
      targetSpacing: stage1Grid.targetSpacing,
    });
    // The plan names the thick axis in (H, W, D) = (y, x, z); the volume's axes are (x, y, z).
    const thick = plan.separateAxis === null ? null : { H: 1, W: 0, D: 2 }[plan.separateAxis];
    const stage1 = await resampleImageToShape(scaled, xyzFromHwd(plan.workingShape), { separateAxis: thick });
    const described = pass.group
      ? `${mapping.description} (the ${pass.group} window for its prompts, medals' rule)`
      : pass.source === 'request'
        ? `${mapping.description} (the request's window)`
        : mapping.description;
    scaledPasses.push({
      intensity: {
        ...mapping,
        description: described,
        group: pass.group,
        source: pass.source,
        values: pass.prompts.map((p) => p.value),
      },
      scaled,
      stage1,
      plan,
    });
  }
  const stage1Of = (p: (typeof scaledPasses)[number]) => ({
    plan: p.plan,
    geometry: workingGeometry(volume.geometry, xyzFromHwd(p.plan.workingShape)),
  });
  const [first, ...more] = scaledPasses;
  const npz = input.npz;
  return {
    scaled: first.scaled,
    stage1: first.stage1,
    ...(more.length > 0 ? { passes: more.map((p) => ({ scaled: p.scaled, stage1: p.stage1 })) } : {}),
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
      intensity: scaledPasses.map((p) => p.intensity),
      stage1: stage1Of(first),
      ...(more.length > 0 ? { passes: more.map((p) => ({ stage1: stage1Of(p) })) } : {}),
    },
  };
}
