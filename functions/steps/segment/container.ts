/**
 * Entry point of the GPU container (AWS Batch job or ECS task): the workflow passes the step's
 * input as the MEDALS_EVENT environment variable (States.JsonToString($) in the Segment state) or
 * as the command's first argument (an ECS runTask / Batch command override), the job runs
 * the segment handler and exits 0, or exits 1 with the error on stderr so the job fails.
 */
import { InvalidInputError } from '../../lib/core/errors.js';
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

/**
 * The step input as the task received it: the first command argument when the job definition
 * or an ECS/Batch command override passes it there (`node task.js '<json>'`), else MEDALS_EVENT.
 */
export function eventOfTask(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ReturnType<typeof eventFromEnvironment> {
  return eventFromEnvironment(
    argv[0] !== undefined && argv[0].trim().startsWith('{') ? argv[0] : env.MEDALS_EVENT,
  );
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  try {
    const out = await handler(eventOfTask(argv, process.env));
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return 0;
  } catch (e) {
    const error = e as Error & { code?: string };
    process.stderr.write(`${error.code ?? error.name}: ${error.message}\n`);
    return 1;
  }
}
