/**
 * Runs workflows/segment-case.asl.json on the local engine: every Lambda Task maps to its
 * handler in this process; the Segment task (an AWS Batch job on AWS) is emulated by handing
 * its Parameters to the container entry point's own event reader, so the same MEDALS_EVENT path
 * is exercised locally.
 */
import '../functions/lib/core/polyfills.js';
import path from 'node:path';
import { packageRoot } from '../functions/lib/core/package-info.js';
import { handler as metricsReport } from '../functions/steps/metrics-report/handler.js';
import { handler as preprocess } from '../functions/steps/preprocess/handler.js';
import { handler as recordFailure } from '../functions/steps/record-failure/handler.js';
import { handler as restore } from '../functions/steps/restore/handler.js';
import { handler as segment } from '../functions/steps/segment/handler.js';
import { eventFromEnvironment } from '../functions/steps/segment/container.js';
import type { StageProgress } from '../functions/steps/segment/run-stage.js';
import { handler as validate } from '../functions/steps/validate/handler.js';
import { MedalsError } from '../functions/lib/core/errors.js';
import { acquireCaseLock, localOutputOf } from './case-lock.js';
import { type RunResult, type TaskHandler, loadDefinition, runStateMachine } from './local-engine.js';

interface CaseProgress {
  state?: string;
  stage?: StageProgress;
}

interface SegmentCaseOptions {
  onProgress?: (p: CaseProgress) => void;
  /**
   * Fault injection: called before each step's handler with the state name and its attempt
   * (1, then 2 on the first retry, ...); whatever it throws is that step's failure, so tests can
   * make any step fail transiently or for good and watch Retry and Catch do their work.
   */
  beforeStep?: (state: string, attempt: number) => void | Promise<void>;
}

export async function runSegmentCase(
  input: { request: unknown },
  options: SegmentCaseOptions = {},
): Promise<RunResult> {
  const definition = await loadDefinition(path.join(packageRoot(), 'workflows', 'segment-case.asl.json'));
  const report = options.onProgress ?? (() => {});
  const inject = options.beforeStep ?? (() => {});
  const step =
    (name: string, fn: (event: never) => unknown): TaskHandler =>
    async (event: never, context) => {
      report({ state: name });
      await inject(name, context.attempt);
      return fn(event);
    };
  const handlers: Record<string, TaskHandler> = {
    ValidateFunctionArn: step('Validate', validate),
    PreprocessFunctionArn: step('Preprocess', preprocess),
    RestoreFunctionArn: step('Restore', restore),
    MetricsReportFunctionArn: step('MetricsReport', metricsReport),
    RecordFailureFunctionArn: recordFailure as TaskHandler,
  };
  const stateHandlers: Record<string, TaskHandler> = {
    Segment: async (parameters: never, context) => {
      report({ state: 'Segment' });
      await inject('Segment', context.attempt);
      const env = (
        parameters as { ContainerOverrides?: { Environment?: { Name: string; Value: string }[] } }
      ).ContainerOverrides?.Environment?.find((e) => e.Name === 'MEDALS_EVENT');
      return segment(eventFromEnvironment(env?.Value), (stage) => report({ state: 'Segment', stage }));
    },
  };
  const folder = localOutputOf(input.request);
  if (folder === undefined)
    return runStateMachine(definition, input, { handlers, stateHandlers, retryIntervalMs: 200 });
  let release: () => Promise<void>;
  try {
    release = await acquireCaseLock(folder);
  } catch (e) {
    if (!(e instanceof MedalsError)) throw e;
    // As the execution would have ended: failed with the error's name, before any step ran
    // (so no RecordFailure, and nothing written into the other run's folder).
    return { status: 'FAILED', executionId: '', events: [], error: e.code, cause: e.message };
  }
  try {
    return await runStateMachine(definition, input, { handlers, stateHandlers, retryIntervalMs: 200 });
  } finally {
    await release();
  }
}
