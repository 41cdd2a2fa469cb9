import type { Command } from 'commander';
import { MODALITIES } from '../../../lib/case/modalities.js';
import type { CliIo } from '../common/io.js';
import type { ClassesOptions } from './classes-table.js';

export function registerClasses(program: Command, io: CliIo): void {
  program
    .command('classes')
    .description(
      'list the Medal S class catalog (243 classes): modality, anatomy or lesion branch, label id, name ' +
        'and synonyms; --search also looks through the synonyms (e.g. "hepatic" finds Liver)',
    )
    .option('--modality <M>', `only this modality: ${MODALITIES.join(', ')}`)
    .option('--search <text>', 'only classes whose name or a synonym contains TEXT, or that TEXT names')
    .action(async (opts: ClassesOptions) => {
      // The catalog and its schema load only when the command runs (start-up, issue 16).
      const { classesTable } = await import('./classes-table.js');
      io.stdout(classesTable(opts));
    });
}
