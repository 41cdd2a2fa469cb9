/**
 * The local engine: runs an ASL definition in-process with aws-local-stepfunctions, with every
 * Task state mapped to the same handler the Lambda (or container task) runs on AWS.
 *
 * Resource convention (shared with serverless.yml): a Task's `Resource` in `workflows/*.asl.json`
 * is either a `${Name}` placeholder (for example `${ValidateFunctionArn}`), which serverless.yml
 * resolves through CloudFormation `DefinitionSubstitutions`, or a literal ARN (for example
 * `arn:aws:states:::ecs:runTask.sync`). Locally the handler registry is looked up by the state's
 * name first (`stateHandlers`), then by the exact Resource string, then by the placeholder name
 * without `${}`. A Task with no handler is refused before anything runs, so the local engine
 * never calls AWS.
 *
 * Errors: aws-local-stepfunctions 3 matches `ErrorEquals` against the thrown error's `name` and
 * puts `{ Error: name, Cause: message }` in the Catch output, so a handler throwing a
 * `MedalsError` (whose `name === code`) is matched by its code, exactly as the Lambda runtime
 * reports `errorType: error.name` on AWS. (On AWS the Cause is the runtime's JSON string
 * `{"errorType","errorMessage","trace"}`; locally it is the bare message.)
 */
import '../functions/lib/core/polyfills.js';

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { validatedWhenBuilt } from './valid-definitions.js';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions as SfnRunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';

/** asl-validator 4 is CommonJS (`module.exports = validator`) and ships no ESM entry. */
type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** What a local handler is told about the Task it runs for. */
export interface TaskContext {
  /** The Task state's name in the definition. */
  stateName: string;
  /** The Task state's `Resource`, as written in the definition. */
  resource: string;
  /** A fresh id per execution (also `$$.Execution.Id`). */
  executionId: string;
  /** 1 for the first call of this state in this execution, 2 for its first retry, ... */
  attempt: number;
  /** Aborted when the state's TimeoutSeconds elapses or the execution ends or is aborted. */
  signal: AbortSignal;
}

/**
 * A local Task handler: same shape as the Lambda handlers (`(event, context) => Promise<result>`).
 * The `never` input lets handlers with any event type be registered; the engine passes the
 * state's effective input (after InputPath / Parameters), as JSON.
 */
export type TaskHandler = (input: never, context: TaskContext) => unknown;

interface LocalRunOptions {
  /** Handlers by Resource string (`${ValidateFunctionArn}`, `arn:...`) or placeholder name. */
  handlers?: Record<string, TaskHandler>;
  /** Handlers by Task state name; win over `handlers`. */
  stateHandlers?: Record<string, TaskHandler>;
  /**
   * Pause before each retry, in milliseconds, instead of IntervalSeconds/BackoffRate/jitter:
   * a number for every retrying state, or per state name (a number or one per retrier).
   */
  retryIntervalMs?: number | Record<string, number | number[]>;
  /** Execution name for `$$.Execution.Name`; default: the execution id. */
  executionName?: string;
  /** Aborting it aborts the execution (the result is then `ABORTED`). */
  signal?: AbortSignal;
  /** Called for every execution event as it happens (progress display, logging). */
  onEvent?: (event: ExecutionEvent) => void;
  /**
   * Task states whose input and output skip the 256 KiB check: states a runner adds to emulate
   * an AWS service whose data never passes through state on AWS (a Distributed Map's items).
   */
  payloadExempt?: readonly string[];
}

/** One entry of the engine's event log (StateEntered, StateRetried, StateCaught, ...). */
export interface ExecutionEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  Error?: string;
  Cause?: unknown;
  [other: string]: unknown;
}

interface RunBase {
  executionId: string;
  events: ExecutionEvent[];
}
interface RunSucceeded extends RunBase {
  status: 'SUCCEEDED';
  output: JsonValue;
}
interface RunFailed extends RunBase {
  status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  /** The ASL error name: a Fail state's Error, a handler error's name, `States.Timeout`, ... */
  error: string;
  /** The ASL cause: a Fail state's Cause or the error's message. */
  cause: string;
}
export type RunResult = RunSucceeded | RunFailed;

/** Step Functions refuses state payloads above 256 KiB; the local engine does the same. */
const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * Duck-typed for aws-local-stepfunctions (it reads `isRetryable` / `isCatchable` with a default
 * of true), like the terminal `States.DataLimitExceeded` of Step Functions.
 */
class DataLimitExceededError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(message: string) {
    super(message);
    this.name = 'States.DataLimitExceeded';
  }
}

/** Definitions already found valid: asl-validator compiles its schemas on each call (~150 ms). */
const validTexts = new Set<string>();

/**
 * Throws an Error listing every problem when `definition` is not valid ASL (asl-validator 4).
 * Texts found valid before, in this process or when the package was built (valid-definitions.ts),
 * are not checked again unless `always`.
 */
export function validateDefinition(
  definition: unknown,
  source = 'state machine definition',
  options: { always?: boolean } = {},
): void {
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) {
    throw new Error(`invalid ${source}: expected a JSON object`);
  }
  const text = JSON.stringify(definition);
  if (!options.always && (validTexts.has(text) || validatedWhenBuilt(text))) return;
  // asl-validator adds QueryLanguage to every state it visits: validate a copy.
  const { isValid, errorsText } = aslValidator(JSON.parse(text), { checkPaths: true, checkArn: true });
  if (!isValid) throw new Error(`invalid ${source}: ${errorsText('; ')}`);
  if (validTexts.size >= 64) validTexts.clear();
  validTexts.add(text);
}

/** Reads and validates an ASL file (for example `workflows/validate-request.asl.json`). */
export async function loadDefinition(path: string | URL): Promise<StateMachineDefinition> {
  const text = await readFile(path, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`invalid state machine definition ${String(path)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  validateDefinition(parsed, `state machine definition ${String(path)}`);
  return parsed as StateMachineDefinition;
}

interface TaskInfo {
  resource: string;
  /** null: decided at run time by TimeoutSecondsPath. 60 s is the engine's and Step Functions' default. */
  timeoutSeconds: number | null;
}

type StateVisitor = (name: string, state: Record<string, unknown>) => void;

/** Visits every state, nested ones (Parallel branches, Map processors) included; ASL names are unique. */
function walkStates(definition: unknown, visit: StateVisitor): void {
  const states = (definition as { States?: Record<string, Record<string, unknown>> }).States ?? {};
  for (const [name, state] of Object.entries(states)) {
    visit(name, state);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches) walkStates(branch, visit);
    } else if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) walkStates(processor, visit);
    }
  }
}

function collectTasks(definition: unknown): Map<string, TaskInfo> {
  const tasks = new Map<string, TaskInfo>();
  walkStates(definition, (name, state) => {
    if (state.Type !== 'Task') return;
    tasks.set(name, {
      resource: String(state.Resource),
      // TimeoutSecondsPath is left to the engine; the handler's signal then only ends with the run.
      timeoutSeconds:
        typeof state.TimeoutSeconds === 'number'
          ? state.TimeoutSeconds
          : state.TimeoutSecondsPath
            ? null
            : 60,
    });
  });
  return tasks;
}

function collectRetrying(definition: unknown): string[] {
  const names: string[] = [];
  walkStates(definition, (name, state) => {
    if (Array.isArray(state.Retry)) names.push(name);
  });
  return names;
}

function placeholderName(resource: string): string | undefined {
  return /^\$\{([^}]+)\}$/.exec(resource)?.[1];
}

function toJson(value: unknown, what: string, limited = true): JsonValue {
  const text = JSON.stringify(value === undefined ? null : value);
  if (limited && Buffer.byteLength(text, 'utf8') > MAX_PAYLOAD_BYTES) {
    throw new DataLimitExceededError(
      `${what} is larger than ${MAX_PAYLOAD_BYTES} bytes; state carries references, never data`,
    );
  }
  return JSON.parse(text) as JsonValue;
}

/** Whatever a handler threw, as an Error whose `name` is the ASL error name. */
function toTaskError(thrown: unknown): Error {
  if (thrown instanceof Error) {
    if (typeof thrown.name !== 'string' || thrown.name === '') thrown.name = 'Error';
    return thrown;
  }
  return new Error(typeof thrown === 'string' ? thrown : `non-Error value thrown: ${String(thrown)}`);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : String(error);
}

/**
 * Runs `definition` with `input`. Resolves with the output, or with a typed failure carrying the
 * ASL error name and cause. Rejects (before running anything) when the definition is invalid, a
 * Task has no handler, or the input is not JSON of at most 256 KiB.
 */
export async function runStateMachine(
  definition: unknown,
  input: unknown,
  options: LocalRunOptions = {},
): Promise<RunResult> {
  validateDefinition(definition);
  const def = structuredClone(definition) as StateMachineDefinition;
  const executionId = randomUUID();
  const runEnded = new AbortController();

  const attempts = new Map<string, number>();
  const taskResourceLocalHandlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
  const missing: string[] = [];
  for (const [stateName, task] of collectTasks(def)) {
    const name = placeholderName(task.resource);
    const handler =
      options.stateHandlers?.[stateName] ??
      options.handlers?.[task.resource] ??
      (name === undefined ? undefined : options.handlers?.[name]);
    if (!handler) {
      missing.push(`'${stateName}' (Resource ${task.resource})`);
      continue;
    }
    const call = handler as (input: unknown, context: TaskContext) => unknown;
    const limited = !options.payloadExempt?.includes(stateName);
    taskResourceLocalHandlers[stateName] = async (taskInput) => {
      const attempt = (attempts.get(stateName) ?? 0) + 1;
      attempts.set(stateName, attempt);
      const signal =
        task.timeoutSeconds === null
          ? runEnded.signal
          : AbortSignal.any([runEnded.signal, AbortSignal.timeout(task.timeoutSeconds * 1000)]);
      let output: unknown;
      try {
        output = await call(toJson(taskInput, `input of ${stateName}`, limited), {
          stateName,
          resource: task.resource,
          executionId,
          attempt,
          signal,
        });
      } catch (e) {
        throw toTaskError(e);
      }
      return toJson(output, `output of ${stateName}`, limited);
    };
  }
  if (missing.length > 0) {
    throw new Error(`no local handler for Task state${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }

  let retryIntervalOverrides: Record<string, number | number[]> | undefined;
  if (typeof options.retryIntervalMs === 'number') {
    const ms = options.retryIntervalMs;
    retryIntervalOverrides = Object.fromEntries(collectRetrying(def).map((name) => [name, ms]));
  } else if (options.retryIntervalMs) {
    retryIntervalOverrides = options.retryIntervalMs;
  }

  // Validated above with asl-validator 4; the engine's bundled asl-validator 3 is not asked again.
  const machine = new StateMachine(def, { validationOptions: { noValidate: true } });
  const sfnOptions: SfnRunOptions = {
    overrides: { taskResourceLocalHandlers, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
    context: { Execution: { Id: executionId, Name: options.executionName ?? executionId } },
  };
  const execution = machine.run(toJson(input, 'execution input') as never, sfnOptions);

  const onAbort = () => execution.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) execution.abort();

  const events: ExecutionEvent[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) {
      const e = event as unknown as ExecutionEvent;
      events.push(e);
      options.onEvent?.(e);
    }
  })();

  const base = { executionId, events };
  let result: RunResult;
  try {
    const output = await execution.result;
    result = { status: 'SUCCEEDED', output: output as JsonValue, ...base };
  } catch (e) {
    if (e instanceof ExecutionError) {
      const inner = e.cause as { name?: unknown; message?: unknown } | undefined;
      result = {
        status: 'FAILED',
        error: typeof inner?.name === 'string' ? inner.name : 'Error',
        cause: messageOf(inner),
        ...base,
      };
    } else if (e instanceof ExecutionTimeoutError) {
      result = { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'execution timed out', ...base };
    } else if (e instanceof ExecutionAbortedError) {
      result = { status: 'ABORTED', error: 'States.Aborted', cause: 'execution aborted', ...base };
    } else {
      throw e;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    runEnded.abort();
  }
  await logging; // the engine closes its log on success, failure, timeout and abort
  return result;
}
