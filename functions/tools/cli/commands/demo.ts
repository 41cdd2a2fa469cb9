/**
 * `medals demo`: a phantom case, the generated phantom model and the whole segment-case workflow
 * on the local engine, with ground truth so metrics come out too. Needs nothing but `npm ci`.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { writePhantom } from '../../phantom/write-phantom.js';
import { ensureModel } from '../../../../models/generate/index.js';
import type { CliIo } from '../common/io.js';
import { parseNonNegativeInt } from '../common/options.js';
import { runCaseWithProgress } from '../common/run-case.js';

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('segment a synthetic CT phantom end to end and print where the results are')
    .option('--out <dir>', 'folder for the demo case and its results', 'medals-demo')
    .option('--seed <n>', 'phantom seed', '0')
    .action(async (opts: { out: string; seed: string }) => {
      const seed = parseNonNegativeInt('--seed', opts.seed);
      const root = path.resolve(opts.out);
      io.stderr(`writing a CT phantom (seed ${seed}) to ${path.join(root, 'case')}\n`);
      const phantom = await writePhantom(path.join(root, 'case'), { seed });
      const outputs = await runCaseWithProgress(
        {
          image: phantom.files.image,
          prompts: phantom.phantom.prompts,
          groundTruth: phantom.files.labels,
          output: path.join(root, 'result'),
          model: await ensureModel('phantom'),
        },
        io,
      );
      io.stdout(`${outputs.report ?? outputs.seg}\n`);
    });
}
