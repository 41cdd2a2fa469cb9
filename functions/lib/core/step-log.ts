/**
 * One log record when a workflow step starts, and one when it ends (with its time and peak
 * memory) or fails (with its error code), through the scrubbing logger. On AWS (Lambda, Batch)
 * these are what CloudWatch shows of a case; on a laptop the CLI prints its own progress, so
 * step logs are off unless MEDALS_LOG_LEVEL asks for them.
 */
import { MedalsError } from './errors.js';
import { type Logger, createLogger } from './logger.js';

function onAws(): boolean {
  return Boolean(process.env.AWS_LAMBDA_FUNCTION_NAME || process.env.AWS_BATCH_JOB_ID);
}

/** The level step logs use: MEDALS_LOG_LEVEL, else info on AWS and silent elsewhere. */
export function stepLogLevel(): string {
  return process.env.MEDALS_LOG_LEVEL || (onAws() ? 'info' : 'silent');
}

/** The case a step works on, from the fields our events carry (never the request's content). */
function caseOf(event: unknown): string | undefined {
  const e = event as { request?: { output?: unknown }; sweep?: { out?: unknown } } | null;
  const value = e?.request?.output ?? e?.sweep?.out;
  return typeof value === 'string' ? value : undefined;
}

/**
 * Wraps a step's handler: the same function, logged. The logger is made per call, so the level
 * follows the environment at that moment (tests and the CLI may change it).
 */
export function loggedStep<A extends [unknown, ...unknown[]], R>(
  step: string,
  run: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const event = args[0];
    const log: Logger = createLogger({
      level: stepLogLevel(),
      destination: process.stderr,
      base: { service: 'medals', step },
    });
    const started = performance.now();
    const target = caseOf(event);
    const context = target === undefined ? {} : { case: target };
    log.info(context, `${step} started`);
    try {
      const result = await run(...args);
      log.info(
        {
          ...context,
          seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
          peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        },
        `${step} finished`,
      );
      return result;
    } catch (e) {
      const code = e instanceof MedalsError ? e.code : ((e as Error)?.name ?? 'Error');
      log.error(
        {
          ...context,
          code,
          error: (e as Error)?.message ?? String(e),
          seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
        },
        `${step} failed`,
      );
      throw e;
    }
  };
}
