import type { Command } from 'commander';
import { PHANTOM_DEFAULTS, type PhantomModality } from '../../phantom/phantom.js';
import type { CliIo } from '../common/io.js';
import { parseChoice, parseNonNegativeInt, parseSize, parseSpacing } from '../common/options.js';

export function registerPhantom(program: Command, io: CliIo): void {
  program
    .command('phantom')
    .description(
      'write a synthetic abdominal case: image.nii.gz, labels.nii.gz (1 liver, 2 spleen, 3 left kidney, ' +
        '4 right kidney, 5 aorta, 6 body), lesions.nii.gz, prompts.json and case.json',
    )
    .requiredOption('--out <dir>', 'folder to write the case into')
    .option('--seed <n>', 'random seed; the same seed writes the same bytes', String(PHANTOM_DEFAULTS.seed))
    .option(
      '--modality <CT|MRI>',
      'CT in Hounsfield units or MRI in arbitrary units',
      PHANTOM_DEFAULTS.modality,
    )
    .option('--size <x,y,z>', 'size in voxels', PHANTOM_DEFAULTS.size.join(','))
    .option('--spacing <a,b,c>', 'voxel spacing in mm', PHANTOM_DEFAULTS.spacing.join(','))
    .action(async (opts: { out: string; seed: string; modality: string; size: string; spacing: string }) => {
      const { writePhantom } = await import('../../phantom/write-phantom.js');
      const options = {
        seed: parseNonNegativeInt('--seed', opts.seed),
        modality: parseChoice<PhantomModality>('--modality', opts.modality, ['CT', 'MRI']),
        size: parseSize('--size', opts.size),
        spacing: parseSpacing('--spacing', opts.spacing),
      };
      const written = await writePhantom(opts.out, options);
      const { phantom } = written;
      io.stdout(
        `wrote ${phantom.modality} phantom ${phantom.image.size.join('x')} at ${phantom.image.spacing.join(' x ')} mm ` +
          `with ${phantom.lesionCount} liver lesions to ${written.dir}\n`,
      );
    });
}
