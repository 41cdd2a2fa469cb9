/**
 * RecordFailure step (Lambda `recordFailure`, Task state `RecordFailure`): turns what a Catch
 * delivered into one clear `{ code, message }`, which the workflow's Fail state reports.
 * When the request names an output prefix, error.json (code, message, failed state, request)
 * is written there, and the final outputs a later step may already have written are removed,
 * so a failed case leaves a reason and never a seg.*.
 *
 * The Cause differs by engine: Step Functions gives a Lambda failure's Cause as the runtime's
 * JSON string `{"errorType","errorMessage","trace"}`; the local engine gives the bare message;
 * States.* errors (timeouts, ...) give free text or nothing.
 */
import { type CaseFile, caseFile } from '../../lib/case/case-files.js';
import { ERROR_CODES, type ErrorCode } from '../../lib/core/errors.js';
import { storageFor } from '../../lib/storage/index.js';
import { loggedStep } from '../../lib/core/step-log.js';

export interface RecordFailureEvent {
  error?: { Error?: unknown; Cause?: unknown };
  request?: unknown;
  /** The state that failed (set by the workflow's <State>Failed pass states). */
  failedState?: string;
}

export interface FailureRecord {
  /**
   * A MedalsError code; a Step Functions error name (`States.Timeout`, ...) as is; anything
   * else (a bug's `TypeError`, the Lambda runtime's `Runtime.*`) becomes INTERNAL.
   */
  code: ErrorCode | `States.${string}`;
  /** One line a person can act on. */
  message: string;
}

const MAX_MESSAGE = 2000;

/** What a successful case leaves under its prefix, removed when it fails. */
export const FINAL_OUTPUTS: readonly CaseFile[] = [
  'seg',
  'segNpz',
  'stats',
  'statsCsv',
  'metrics',
  'provenance',
  'report',
];

function causeMessage(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause !== 'string') return JSON.stringify(cause);
  const text = cause.trim();
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as { errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
    } catch {
      // not the Lambda runtime's JSON: keep the text as it is
    }
  }
  return text === '' ? undefined : text;
}

function isErrorCode(name: string): name is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(name);
}

export function normalizeFailure(error: RecordFailureEvent['error']): FailureRecord {
  const name = typeof error?.Error === 'string' ? error.Error.trim() : '';
  let message = causeMessage(error?.Cause) ?? '';
  // The Lambda runtime and some libraries prefix the message with the name: drop it.
  if (name !== '' && message.startsWith(`${name}: `)) message = message.slice(name.length + 2);
  message = (message.split('\n')[0] ?? '').trim();

  let code: FailureRecord['code'];
  if (isErrorCode(name)) code = name;
  else if (name.startsWith('States.')) code = name as `States.${string}`;
  else {
    code = 'INTERNAL';
    if (name !== '' && name !== 'Error') message = message === '' ? name : `${name}: ${message}`;
  }
  if (message === '') message = code === 'INTERNAL' ? 'unknown failure' : code;
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE - 3)}...`;
  return { code, message };
}

/** The request's output prefix, if it has a usable one: a broken request may have none. */
function outputOf(request: unknown): string | undefined {
  const output = (request as { output?: unknown } | undefined)?.output;
  return typeof output === 'string' && output.trim() !== '' ? output.trim() : undefined;
}

async function recordFailureStep(event: RecordFailureEvent): Promise<FailureRecord> {
  const failure = normalizeFailure(event?.error);
  const output = outputOf(event?.request);
  if (output) {
    const file = caseFile(output, 'error');
    // A late failure (MetricsReport after Restore wrote seg.nii.gz) must not leave outputs that
    // look like a success: the final outputs go, work/ stays for inspection.
    const storage = storageFor(file);
    for (const name of FINAL_OUTPUTS) await storage.remove(caseFile(output, name));
    await storage.writeJson(file, {
      ...failure,
      ...(event.failedState ? { failedState: event.failedState } : {}),
      request: event.request,
      at: new Date().toISOString(),
    });
  }
  return failure;
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('RecordFailure', recordFailureStep);
