/**
 * `medals demo`: a phantom case, the generated phantom model and the whole segment-case workflow
 * on the local engine, with ground truth so metrics come out too. Needs nothing but `npm ci`.
 */
import path from 'node:path';
import type { Command } from 'commander';
import type { CliIo } from '../common/io.js';
import { parseNonNegativeInt } from '../common/options.js';

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('segment a synthetic CT phantom end to end and print where the results are')
    .option('--out <dir>', 'folder for the demo case and its results', 'medals-demo')
    .option('--seed <n>', 'phantom seed', '0')
    .action(async (opts: { out: string; seed: string }) => {
      // Loaded here, not at start-up: `medals --help` should not pay for itk-wasm and ONNX Runtime.
      const [{ writePhantom }, { ensureModel }, { runCaseWithProgress }] = await Promise.all([
        import('../../phantom/write-phantom.js'),
        import('../../../../models/generate/index.js'),
        import('../common/run-case.js'),
      ]);
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
