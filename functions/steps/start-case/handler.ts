/**
 * StartCase (Lambda `startCase`, target of the EventBridge rule on `inbox/<case>/request.json`
 * creation): reads the uploaded request, turns it into a case request (trigger.ts) and starts
 * segment-case under an idempotent execution name. A request that is not valid gets an
 * error.json in its outbox folder instead, as a failed case does.
 *
 * The execution is started through a `CaseStarter`: on AWS, Step Functions' StartExecution with
 * the state machine in MEDALS_SEGMENT_CASE_ARN (ExecutionAlreadyExists: already started);
 * locally, workflows/local-starter.ts, which runs the case on the local engine.
 */
import { caseFile } from '../../lib/case/case-files.js';
import { MedalsError, asMedalsError } from '../../lib/core/errors.js';
import { storageFor } from '../../lib/storage/index.js';
import { type ObjectCreated, caseOfKey, executionName, objectCreated, requestFromUpload } from './trigger.js';
import { loggedStep } from '../../lib/core/step-log.js';

export interface CaseStarter {
  /** 'started', or 'exists' when an execution of that name was started before. */
  start(name: string, input: { request: unknown }): Promise<'started' | 'exists'>;
}

export type StartCaseResult =
  | { status: 'ignored'; reason: string }
  | { status: 'started' | 'already-started'; executionName: string; output: string }
  | { status: 'rejected'; error: { code: string; message: string }; output: string };

/** The AWS starter, loaded only where it is used (the SDK client is not needed locally). */
async function awsStarter(): Promise<CaseStarter> {
  const arn = process.env.MEDALS_SEGMENT_CASE_ARN;
  if (!arn) throw new MedalsError('INTERNAL', 'MEDALS_SEGMENT_CASE_ARN is not set for the start function');
  const { SFNClient, StartExecutionCommand } = await import('@aws-sdk/client-sfn');
  const client = new SFNClient({});
  return {
    async start(name, input) {
      try {
        await client.send(
          new StartExecutionCommand({ stateMachineArn: arn, name, input: JSON.stringify(input) }),
        );
        return 'started';
      } catch (e) {
        if ((e as { name?: string }).name === 'ExecutionAlreadyExists') return 'exists';
        throw e;
      }
    },
  };
}

export async function startCase(event: unknown, starter: CaseStarter): Promise<StartCaseResult> {
  const object: ObjectCreated | null = objectCreated(event);
  if (!object) return { status: 'ignored', reason: 'not an S3 Object Created event' };
  const name = caseOfKey(object.key);
  if (name === null) return { status: 'ignored', reason: `${object.key} is not inbox/<case>/request.json` };
  const uri = `s3://${object.bucket}/${object.key}`;
  const output = `s3://${object.bucket}/outbox/${name}`;
  let request;
  try {
    request = requestFromUpload(await storageFor(uri).readJson(uri), object, name);
  } catch (e) {
    const error = asMedalsError(e);
    // EventBridge invokes the function asynchronously: Lambda retries a thrown error (twice).
    if (error.code === 'TRANSIENT') throw error;
    const file = caseFile(output, 'error');
    const record = { code: error.code, message: error.message, failedState: 'StartCase', request: uri };
    await storageFor(file).writeJson(file, { ...record, at: new Date().toISOString() });
    return { status: 'rejected', error: { code: error.code, message: error.message }, output };
  }
  const executionName_ = executionName(object, name);
  const started = await starter.start(executionName_, { request });
  return {
    status: started === 'started' ? 'started' : 'already-started',
    executionName: executionName_,
    output: request.output,
  };
}

async function startCaseStep(event: unknown): Promise<StartCaseResult> {
  return startCase(event, await awsStarter());
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('StartCase', startCaseStep);
