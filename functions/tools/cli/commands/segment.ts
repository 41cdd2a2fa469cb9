/**
 * `medals segment IMAGE`: one case through the segment-case workflow on the local engine
 * (Validate -> Preprocess -> Segment -> Restore -> MetricsReport), writing under --out.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { CaseRequest } from '../../../lib/case/case-request.js';
import { UsageError } from '../../../lib/core/errors.js';
import { storageFor } from '../../../lib/storage/index.js';
import type { CliIo } from '../common/io.js';
import { parseChoice, parseWindow, resolveLocal } from '../common/options.js';

interface SegmentOptions {
  prompts?: string;
  mask?: string;
  gt?: string;
  out?: string;
  model?: string;
  device: string;
  stage1Labels?: boolean;
  window?: string;
}

/** `--prompts "a,b"` (values 1..N), a JSON file `{"1": "liver", ...}`, or the npz's text_prompts. */
async function promptsFor(image: string, option: string | undefined): Promise<CaseRequest['prompts']> {
  if (option !== undefined && option.trim().toLowerCase().endsWith('.json')) {
    return storageFor(option).readJson<CaseRequest['prompts']>(option);
  }
  if (option !== undefined) {
    const names = option.split(',').map((s) => s.trim());
    if (names.some((n) => n === ''))
      throw new UsageError(`--prompts must be class names separated by commas, got '${option}'`);
    return names;
  }
  if (image.toLowerCase().endsWith('.npz')) {
    const { readChallengeNpz } = await import('../../../lib/image/npz/index.js');
    const prompts = readChallengeNpz(await storageFor(image).read(image)).textPrompts;
    if (prompts) return { ...prompts } as CaseRequest['prompts'];
    throw new UsageError(`${image} carries no text_prompts: give --prompts`);
  }
  throw new UsageError('--prompts is required (class names like "liver,spleen" or a JSON file)');
}

function defaultOut(image: string): string {
  const base = path.basename(image.replace(/\/+$/, '')).replace(/(\.nii\.gz|\.[a-z0-9]+)$/i, '');
  return path.resolve(`${base || 'case'}-medals`);
}

export function registerSegment(program: Command, io: CliIo): void {
  program
    .command('segment')
    .description('segment one image with Medal S from text prompts (local engine)')
    .argument('<image>', 'NIfTI, NRRD, MHA, a DICOM series folder or a challenge npz (path or s3:// URI)')
    .option(
      '--prompts <list|file.json>',
      'class names, e.g. "liver,spleen" (values 1..N), or a JSON file {"1": "liver"}',
    )
    .option(
      '--mask <file>',
      "hybrid mode: a label map on the image's grid whose values are prompt values; it replaces stage 1's prediction of the classes it contains",
    )
    .option('--stage1-labels', "also write stage 1's label map on the image grid (work/stage1-seg.nii.gz)")
    .option('--gt <file>', 'ground-truth label map for metrics')
    .option('--out <dir>', 'output folder (default: <image name>-medals)')
    .option('--model <dir>', 'model folder (default: the generated phantom model)')
    .option('--device <cpu|cuda|auto>', 'execution provider', 'auto')
    .option(
      '--window <level,width>',
      'a raw CT only: this window in HU for every prompt (e.g. -600,1500), instead of one per tissue group of the prompts (lung, bone, soft tissue)',
    )
    .action(async (image: string, opts: SegmentOptions) => {
      // zod (the request's schema) alone is ~100 modules: loaded here, not at every start-up.
      const [{ ensureModel }, { runCaseWithProgress }, { parseCaseRequest }] = await Promise.all([
        import('../../../../models/generate/index.js'),
        import('../common/run-case.js'),
        import('../../../lib/case/case-request.js'),
      ]);
      const device = parseChoice('--device', opts.device, ['cpu', 'cuda', 'auto'] as const);
      const window = opts.window === undefined ? undefined : parseWindow('--window', opts.window);
      let model = opts.model;
      if (!model) {
        model = await ensureModel('phantom');
        io.stderr(
          `no --model given: using the generated phantom model (${model}), which only knows the phantom's organs\n`,
        );
      }
      const request = parseCaseRequest({
        image: resolveLocal(image),
        prompts: await promptsFor(image, opts.prompts),
        output: opts.out ? resolveLocal(opts.out) : defaultOut(image),
        model: resolveLocal(model),
        ...(opts.gt ? { groundTruth: resolveLocal(opts.gt) } : {}),
        ...(opts.mask ? { mask: resolveLocal(opts.mask) } : {}),
        ...(device !== 'auto' || opts.stage1Labels || window
          ? {
              options: {
                ...(device !== 'auto' ? { device } : {}),
                ...(opts.stage1Labels ? { stage1Labels: true } : {}),
                ...(window ? { window } : {}),
              },
            }
          : {}),
      });
      const outputs = await runCaseWithProgress(request, io);
      for (const key of ['seg', 'segNpz', 'metrics'] as const)
        if (outputs[key]) io.stdout(`${outputs[key]}\n`);
    });
}
