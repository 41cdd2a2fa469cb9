/**
 * Runs workflows/benchmark-sweep.asl.json on the local engine.
 *
 * PrepareSweep and Aggregate run their Lambda handlers in-process, and each case runs
 * segment-case on the same local engine (runSegmentCase). aws-local-stepfunctions has no
 * Distributed Map, so the runner rewrites the RunCases state before running, and this is exactly
 * what it emulates:
 * - ItemReader (s3:getObject, JSONL): a Task state `RunCases.ItemReader` inserted before the Map
 *   reads `$.manifestUri` (any storage URI) and puts the lines in `$.items`; the Map becomes an
 *   INLINE one over `$.items` with MaxConcurrency = the sweep's concurrency.
 * - The child execution (states:startExecution.sync:2 of segment-case): the `SegmentCase` Task
 *   runs runSegmentCase and returns `{ Status, Error?, Cause? }`. On AWS a failed child fails its
 *   item; here the item records the failure, so that the emulated ResultWriter can count it.
 * - ResultWriter and ToleratedFailurePercentage: a Task state `RunCases.ResultWriter` after the
 *   Map writes SUCCEEDED_0.json / FAILED_0.json and manifest.json under `$.results.uri` (as AWS
 *   writes them under its prefix, run ARN folder left out), drops the items from the state, puts
 *   `{ ResultWriterDetails }` in `$.map`, and throws `States.ExceedToleratedFailureThreshold`
 *   when more than `$.itemTolerance` percent of the items failed; RunCases' Catch moves to it.
 * The emulated states are exempt from the 256 KiB state limit, as the Map's items never pass
 * through state on AWS. Everything else (PrepareSweep, Aggregate, the Choice and Fail states,
 * Retry and Catch) runs from the file as it is.
 */
import path from 'node:path';
import { packageRoot } from '../functions/lib/core/package-info.js';
import { joinUri, storageFor } from '../functions/lib/storage/index.js';
import { handler as aggregateSweep } from '../functions/steps/aggregate-sweep/handler.js';
import { type SweepInput, handler as prepareSweep } from '../functions/steps/prepare-sweep/handler.js';
import type { PreparedSweep } from '../functions/steps/prepare-sweep/record.js';
import { type RunResult, type TaskHandler, loadDefinition, runStateMachine } from './local-engine.js';
import { runSegmentCase } from './segment-case.js';

const MAP_STATE = 'RunCases';
const READER = `${MAP_STATE}.ItemReader`;
const WRITER = `${MAP_STATE}.ResultWriter`;

type State = Record<string, unknown>;
type Definition = { States: Record<string, State> } & Record<string, unknown>;

/** The definition with RunCases' Distributed Map features replaced by emulating Task states. */
export function emulateDistributedMap(definition: Definition, concurrency: number): Definition {
  const def = structuredClone(definition);
  const map = def.States[MAP_STATE];
  if (!map || map.Type !== 'Map') throw new Error(`the sweep definition has no Map state '${MAP_STATE}'`);
  for (const state of Object.values(def.States)) {
    if (state.Next === MAP_STATE) state.Next = READER;
    if (Array.isArray(state.Choices)) {
      for (const choice of state.Choices as State[]) if (choice.Next === MAP_STATE) choice.Next = READER;
    }
    if (state.Default === MAP_STATE) state.Default = READER;
  }
  if (def.StartAt === MAP_STATE) def.StartAt = READER;
  const { Catch, Next, ...rest } = map;
  // The Distributed Map's own fields go; the INLINE Map below reads $.items instead.
  for (const field of ['ItemReader', 'ResultWriter', 'MaxConcurrencyPath', 'ToleratedFailurePercentagePath'])
    delete rest[field];
  const processor = structuredClone(rest.ItemProcessor as State);
  processor.ProcessorConfig = { Mode: 'INLINE' };
  def.States[READER] = {
    Type: 'Task',
    Comment: 'Local emulation of the Map ItemReader (JSONL from $.manifestUri)',
    Resource: '${LocalItemReader}',
    ResultPath: '$.items',
    TimeoutSeconds: 300,
    Next: MAP_STATE,
  };
  def.States[MAP_STATE] = {
    ...rest,
    ItemProcessor: processor,
    ItemsPath: '$.items',
    MaxConcurrency: concurrency,
    ResultPath: '$.itemResults',
    Next: WRITER,
  };
  def.States[WRITER] = {
    Type: 'Task',
    Comment: 'Local emulation of the Map ResultWriter and ToleratedFailurePercentage',
    Resource: '${LocalResultWriter}',
    ResultPath: '$',
    TimeoutSeconds: 300,
    ...(Catch ? { Catch } : {}),
    Next,
  };
  return def;
}

interface ItemResult {
  Status: 'SUCCEEDED' | 'FAILED';
  name: string;
  Error?: string;
  Cause?: string;
}

interface SweepProgress {
  /** Cases finished so far in this run, and how many it runs. */
  done: number;
  toRun: number;
  name: string;
  status: 'SUCCEEDED' | 'FAILED';
  error?: string;
}

interface SweepRunOptions {
  onPrepared?: (sweep: PreparedSweep) => void;
  onCase?: (progress: SweepProgress) => void;
}

export async function runBenchmarkSweep(
  input: SweepInput,
  options: SweepRunOptions = {},
): Promise<RunResult> {
  const definition = (await loadDefinition(
    path.join(packageRoot(), 'workflows', 'benchmark-sweep.asl.json'),
  )) as unknown as Definition;
  const concurrency = input.concurrency ?? 4;
  let toRun = 0;
  let done = 0;
  const handlers: Record<string, TaskHandler> = {
    PrepareSweepFunctionArn: (async (event: { sweep: unknown }) => {
      const prepared = await prepareSweep(event);
      toRun = prepared.toRun;
      options.onPrepared?.(prepared);
      return prepared;
    }) as TaskHandler,
    AggregateSweepFunctionArn: aggregateSweep as TaskHandler,
    LocalItemReader: (async (state: PreparedSweep) => {
      const text = await storageFor(state.manifestUri).readText(state.manifestUri);
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as unknown);
    }) as TaskHandler,
    LocalResultWriter: (async (state: PreparedSweep & { items: unknown[]; itemResults: ItemResult[] }) => {
      const { items, itemResults, ...rest } = state;
      void items;
      const succeeded = itemResults.filter((r) => r.Status === 'SUCCEEDED');
      const failed = itemResults.filter((r) => r.Status !== 'SUCCEEDED');
      const storage = storageFor(state.results.uri);
      const files = { succeeded: 'SUCCEEDED_0.json', failed: 'FAILED_0.json', manifest: 'manifest.json' };
      await storage.writeJson(joinUri(state.results.uri, files.succeeded), succeeded);
      await storage.writeJson(joinUri(state.results.uri, files.failed), failed);
      const manifest = joinUri(state.results.uri, files.manifest);
      await storage.writeJson(manifest, {
        ResultFiles: {
          SUCCEEDED: [{ Key: files.succeeded, Size: succeeded.length }],
          FAILED: [{ Key: files.failed, Size: failed.length }],
        },
      });
      const percent = itemResults.length > 0 ? (100 * failed.length) / itemResults.length : 0;
      if (percent > state.itemTolerance) {
        const error = new Error(
          `${failed.length} of the ${itemResults.length} cases run failed, above the sweep's tolerance of ${state.tolerance} % of its ${state.total} cases`,
        );
        error.name = 'States.ExceedToleratedFailureThreshold';
        throw error;
      }
      return { ...rest, map: { ResultWriterDetails: { Uri: manifest } } };
    }) as TaskHandler,
  };
  const stateHandlers: Record<string, TaskHandler> = {
    SegmentCase: (async (event: { Input: { request: { output: string } } }) => {
      const request = event.Input.request;
      const name = request.output.replace(/\/+$/, '').split('/').pop() ?? request.output;
      const result = await runSegmentCase({ request });
      done++;
      const item: ItemResult =
        result.status === 'SUCCEEDED'
          ? { Status: 'SUCCEEDED', name }
          : { Status: 'FAILED', name, Error: result.error, Cause: result.cause };
      options.onCase?.({
        done,
        toRun,
        name,
        status: item.Status,
        ...(item.Error ? { error: item.Error } : {}),
      });
      return item;
    }) as TaskHandler,
  };
  return runStateMachine(emulateDistributedMap(definition, concurrency), input, {
    handlers,
    stateHandlers,
    payloadExempt: [READER, MAP_STATE, WRITER],
    retryIntervalMs: 200,
  });
}
