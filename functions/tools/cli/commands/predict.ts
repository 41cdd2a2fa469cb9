/**
 * `medals predict INPUT_DIR OUTPUT_DIR [--model DIR] [--device ...]`: the CVPR 2025 challenge's
 * own interface. Every challenge npz in INPUT_DIR runs through the segment-case workflow (the
 * same local engine as `medals segment`, prompts from the npz's text_prompts) in a temporary
 * folder, and OUTPUT_DIR/<same file name> receives the seg.npz the Restore step wrote (segs
 * int16 of the input's (D, H, W), spacing, text_prompts). Nothing else lands in OUTPUT_DIR:
 * each output is written whole (storage's temp file + rename) and the work folder is removed,
 * also when a case fails or the process is interrupted.
 */
import { mkdir, mkdtemp, readdir, realpath, rm, stat } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { caseFile } from '../../../lib/case/case-files.js';
import {
  InvalidInputError,
  MedalsError,
  NotFoundError,
  UsageError,
  asMedalsError,
} from '../../../lib/core/errors.js';
import { storageFor } from '../../../lib/storage/index.js';
import type { CliIo } from '../common/io.js';
import { parseChoice } from '../common/options.js';

interface PredictOptions {
  model?: string;
  device: string;
}

/** The .npz files of `dir` (sorted), or a named error when it is missing, not a folder or has none. */
async function inputCases(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NotFoundError(`input folder not found: ${dir}`, { cause: e });
    if (code === 'ENOTDIR')
      throw new InvalidInputError(`${dir} is a file, not an input folder`, { cause: e });
    throw asMedalsError(e, 'INTERNAL', `listing ${dir}`);
  }
  const names = entries
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith('.npz'))
    .map((e) => e.name)
    .sort();
  if (names.length === 0)
    throw new InvalidInputError(`input folder ${dir} holds no .npz files (challenge cases) to predict`);
  return names;
}

/** OUTPUT_DIR made if missing; refused when it is a file or the input folder itself. */
async function outputFolder(dir: string, input: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    if (['EEXIST', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? ''))
      throw new InvalidInputError(`cannot make the output folder ${dir}: it or a parent of it is a file`, {
        cause: e,
      });
    throw asMedalsError(e, 'INTERNAL', `making ${dir}`);
  }
  if (!(await stat(dir)).isDirectory()) throw new InvalidInputError(`${dir} is not a folder`);
  // Outputs carry the inputs' file names: one folder for both would overwrite the cases.
  if ((await realpath(dir)) === (await realpath(input)))
    throw new UsageError(
      'OUTPUT_DIR must be another folder than INPUT_DIR (outputs take the input file names)',
    );
}

/**
 * Removes `dir` if the process is interrupted (SIGINT, SIGTERM: a `docker stop`, a harness
 * timeout), then lets the signal end the process as it would have. Returns the undo.
 */
function removeOnSignal(dir: string): () => void {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    undo();
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  const undo = () => {
    for (const s of signals) process.off(s, onSignal);
  };
  for (const s of signals) process.once(s, onSignal);
  return undo;
}

export function registerPredict(program: Command, io: CliIo): void {
  program
    .command('predict')
    .description(
      "the challenge's interface: segment every challenge npz of INPUT_DIR (prompts from its text_prompts) and write OUTPUT_DIR/<same name>.npz (segs, spacing, text_prompts)",
    )
    .argument('<input_dir>', 'folder of challenge .npz files (imgs, spacing, text_prompts)')
    .argument('<output_dir>', 'folder for the outputs, made if missing; it receives only <name>.npz files')
    .option('--model <dir>', 'model folder (default: the generated phantom model)')
    .option('--device <cpu|cuda|auto>', 'execution provider', 'auto')
    .addHelpText(
      'after',
      '\nOne line per case on stdout: name, seconds, the prompted classes found. A case that fails\n' +
        'prints CODE: message on stderr and writes nothing; the others still run, and the exit\n' +
        'status is then 1. predict.sh (functions/steps/segment) runs this in the challenge image.\n',
    )
    .action(async (inputDir: string, outputDir: string, opts: PredictOptions) => {
      const [
        { ensureModel },
        { runCaseWithProgress },
        { parseStatsDocument },
        { readPreprocessRecord },
        { readModelManifest },
      ] = await Promise.all([
        import('../../../../models/generate/index.js'),
        import('../common/run-case.js'),
        import('../../../lib/stats/index.js'),
        import('../../../steps/preprocess/record.js'),
        import('../../../lib/model/folder.js'),
      ]);
      const device = parseChoice('--device', opts.device, ['cpu', 'cuda', 'auto'] as const);
      const input = path.resolve(inputDir);
      const output = path.resolve(outputDir);
      const names = await inputCases(input);
      let model = opts.model;
      if (!model) {
        model = await ensureModel('phantom');
        io.stderr(
          `no --model given: using the generated phantom model (${model}), which only knows the phantom's organs\n`,
        );
      }
      model = path.resolve(model);
      // A model folder that is missing or breaks its contract would fail every case alike: once, here.
      await readModelManifest(model);
      await outputFolder(output, input);

      const work = await mkdtemp(path.join(os.tmpdir(), 'medals-predict-'));
      const stopWatchingSignals = removeOnSignal(work);
      const failed: { name: string; error: MedalsError }[] = [];
      try {
        for (const name of names) {
          const started = Date.now();
          const caseDir = path.join(work, name.replace(/\.npz$/i, ''));
          try {
            const outputs = await runCaseWithProgress(
              {
                image: path.join(input, name),
                output: caseDir,
                model,
                ...(device !== 'auto' ? { options: { device } } : {}),
              },
              io,
            );
            const prompted = (await readPreprocessRecord(caseFile(caseDir, 'preprocess'))).prompts.map(
              (p) => p.value,
            );
            const stats = parseStatsDocument(await storageFor(outputs.stats).readJson(outputs.stats));
            const found = stats.structures
              .filter((s) => s.voxels > 0 && prompted.includes(s.value))
              .map((s) => s.value);
            // Written last, when nothing else of the case can fail: a failed case writes nothing.
            const segNpz = caseFile(caseDir, 'segNpz');
            const target = path.join(output, name);
            await storageFor(target).write(target, await storageFor(segNpz).read(segNpz));
            const seconds = ((Date.now() - started) / 1000).toFixed(1);
            io.stdout(
              `${name}\t${seconds} s\t${found.length} of ${prompted.length} classes found` +
                `${found.length > 0 ? `: ${found.join(', ')}` : ''}\n`,
            );
          } catch (e) {
            const error = asMedalsError(e);
            failed.push({ name, error });
            io.stderr(`${new MedalsError(error.code, `${name}: ${error.message}`).toLine()}\n`);
          } finally {
            // Each case's work files go as soon as it is done: a folder of CTs would fill the disk.
            await rm(caseDir, { recursive: true, force: true });
          }
        }
      } finally {
        stopWatchingSignals();
        await rm(work, { recursive: true, force: true });
      }
      if (failed.length > 0) {
        const list = failed.map((f) => f.name).join(', ');
        throw new MedalsError(
          failed[0].error.code,
          `${failed.length} of ${names.length} cases failed (${list}), their outputs not written; the others are in ${output}`,
        );
      }
    });
}
