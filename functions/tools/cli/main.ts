/**
 * The `medals` command. Every failure ends as one line `CODE: message` on stderr (the stack only
 * with --debug) and a non-zero exit status: 2 for bad usage, 1 for everything else.
 */
import { Command, CommanderError } from 'commander';
import { MedalsError, UsageError, asMedalsError } from '../../lib/core/errors.js';
import { packageVersion } from '../../lib/core/package-info.js';
import type { CliIo } from './common/io.js';
import { registerClasses } from './commands/classes.js';
import { registerEvaluate } from './commands/evaluate.js';
import { registerDemo } from './commands/demo.js';
import { registerPhantom } from './commands/phantom.js';
import { registerPredict } from './commands/predict.js';
import { registerReport } from './commands/report.js';
import { registerSegment } from './commands/segment.js';
import { registerSubmit } from './commands/submit.js';
import { registerSweep } from './commands/sweep.js';

export type { CliIo };

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function buildProgram(io: CliIo): Command {
  const program = new Command('medals')
    .description('Text-prompted 3D medical image segmentation with Medal S, locally or on AWS Step Functions')
    .version(packageVersion(), '-V, --version')
    .option('--debug', 'show stack traces and debug logs')
    .exitOverride()
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      // Commander's own messages are reprinted below in the one-line CODE form.
      outputError: () => {},
    });
  registerPhantom(program, io);
  registerClasses(program, io);
  registerSegment(program, io);
  registerEvaluate(program, io);
  registerReport(program, io);
  registerDemo(program, io);
  registerSweep(program, io);
  registerPredict(program, io);
  registerSubmit(program, io);
  return program;
}

/** Runs the CLI and returns the exit status instead of exiting, so tests can call it in-process. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const debug = argv.includes('--debug');
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      const message = e.message.replace(/^error:\s*/, '');
      io.stderr(`${new UsageError(message).toLine()}\n`);
      return 2;
    }
    const error: MedalsError = asMedalsError(e);
    io.stderr(`${error.toLine()}\n`);
    if (debug && error.stack) io.stderr(`${error.stack}\n`);
    return error.code === 'USAGE' ? 2 : 1;
  }
}
