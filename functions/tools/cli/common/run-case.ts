/** One case through the segment-case workflow on the local engine, with progress on stderr. */
import type { RunResult } from '../../../../workflows/local-engine.js';
import { runSegmentCase } from '../../../../workflows/segment-case.js';
import { ERROR_CODES, type ErrorCode, MedalsError } from '../../../lib/core/errors.js';
import { readSegmentRecord } from '../../../steps/segment/record.js';
import type { CliIo } from './io.js';
import { progressTo } from './progress.js';

/** A failed run as the error the failing step raised (its code survives the workflow). */
export function failureOf(result: RunResult): MedalsError {
  const failed = result as { error?: string; cause?: string };
  const code = (ERROR_CODES as readonly string[]).includes(failed.error ?? '')
    ? (failed.error as ErrorCode)
    : 'INTERNAL';
  return new MedalsError(code, failed.cause || failed.error || 'the workflow failed');
}

/** Runs the case; returns its outputs (name -> URI) or throws the failing step's error. */
export async function runCaseWithProgress(request: unknown, io: CliIo): Promise<Record<string, string>> {
  const progress = progressTo(process.stderr);
  let lastState = '';
  const result = await runSegmentCase(
    { request },
    {
      onProgress: ({ state, stage }) => {
        if (stage) return progress.update(`stage ${stage.stage}`, stage.window, stage.windows);
        if (state && state !== lastState) {
          progress.done();
          io.stderr(`${state}\n`);
          lastState = state;
        }
      },
    },
  );
  progress.done();
  if (result.status !== 'SUCCEEDED') throw failureOf(result);
  const outputs = (result.output as { outputs: Record<string, string> }).outputs;
  // e.g. CUDA asked for but unavailable: the case ran on the CPU, and the user should know.
  if (outputs.segment) {
    const record = await readSegmentRecord(outputs.segment);
    for (const warning of record.warnings) io.stderr(`warning: ${warning}\n`);
  }
  return outputs;
}
