/**
 * Entry point of the GPU container (AWS Batch job): the workflow passes the step's input as the
 * MEDALS_EVENT environment variable (States.JsonToString($) in the Segment state), the job runs
 * the segment handler and exits 0, or exits 1 with the error on stderr so the job fails.
 */
import { InvalidInputError } from '../core/errors.js';
import { handler } from './handler.js';

export function eventFromEnvironment(value: string | undefined): {
  request: unknown;
  model: string;
  preprocess: string;
} {
  if (!value)
    throw new InvalidInputError('MEDALS_EVENT is not set: the Segment task passes the step input in it');
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new InvalidInputError('MEDALS_EVENT is not JSON', { cause: e });
  }
}

export async function main(): Promise<number> {
  try {
    const out = await handler(eventFromEnvironment(process.env.MEDALS_EVENT));
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  } catch (e) {
    const error = e as Error & { code?: string };
    process.stderr.write(`${error.code ?? error.name}: ${error.message}\n`);
    return 1;
  }
}
