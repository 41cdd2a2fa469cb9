/**
 * Step logs (functions/lib/core/step-log.ts): off on a laptop unless asked for, one record when a
 * step starts and one when it ends or fails on AWS, as JSON lines on stderr with the step, the
 * case and the error code.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

import { MedalsError } from '../../../functions/lib/core/errors.js';
import { loggedStep, stepLogLevel } from '../../../functions/lib/core/step-log.js';
import { handler as validate } from '../../../functions/steps/validate/handler.js';

/** Runs `fn` with stderr captured; returns what was written. */
async function stderrOf(fn: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await fn().catch(() => undefined);
  } finally {
    spy.mockRestore();
  }
  return chunks.join('');
}

const records = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

const request = { image: '/data/ct.nii.gz', prompts: ['liver'], output: '/data/out/case-7' };

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('step logs', () => {
  it('are silent off AWS unless MEDALS_LOG_LEVEL asks', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', '');
    vi.stubEnv('AWS_BATCH_JOB_ID', '');
    vi.stubEnv('MEDALS_LOG_LEVEL', '');
    expect(stepLogLevel()).toBe('silent');
    expect(await stderrOf(() => validate({ request }))).toBe('');
    vi.stubEnv('MEDALS_LOG_LEVEL', 'info');
    expect(records(await stderrOf(() => validate({ request })))).toHaveLength(2);
  });

  it('log start and end of a step on Lambda, with its case, time and memory', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'medals-dev-validate');
    vi.stubEnv('MEDALS_LOG_LEVEL', '');
    const result = { value: 0 };
    const text = await stderrOf(async () => {
      result.value = ((await validate({ request })) as { valid: boolean }).valid ? 1 : 0;
    });
    expect(result.value).toBe(1); // the wrapped handler's result comes through
    const [start, end] = records(text);
    expect(start).toMatchObject({
      level: 'info',
      service: 'medals',
      step: 'Validate',
      case: '/data/out/case-7',
      message: 'Validate started',
    });
    expect(end).toMatchObject({
      level: 'info',
      step: 'Validate',
      case: '/data/out/case-7',
      message: 'Validate finished',
    });
    expect(end!.seconds).toBeGreaterThanOrEqual(0);
    expect(end!.peakRssMiB).toBeGreaterThan(10);
    expect(Date.parse(String(end!.time))).not.toBeNaN();
  });

  it('log a failure with its code and pass the very error on', async () => {
    vi.stubEnv('AWS_BATCH_JOB_ID', 'job-1');
    const thrown = new MedalsError('UNKNOWN_CLASS', 'no class "livr"; did you mean "liver"?');
    const step = loggedStep('Preprocess', async (_event: { request: unknown }) => {
      throw thrown;
    });
    let caught: unknown;
    const text = await stderrOf(() => step({ request }).catch((e: unknown) => void (caught = e)));
    expect(caught).toBe(thrown);
    const [start, failed] = records(text);
    expect(start!.message).toBe('Preprocess started');
    expect(failed).toMatchObject({
      level: 'error',
      step: 'Preprocess',
      case: '/data/out/case-7',
      code: 'UNKNOWN_CLASS',
      error: 'no class "livr"; did you mean "liver"?',
      message: 'Preprocess failed',
    });

    const invalid = await stderrOf(() => validate({ request: { ...request, prompts: 'liver' } }));
    expect(records(invalid)[1]).toMatchObject({ step: 'Validate', code: 'INVALID_INPUT', level: 'error' });
  });

  it('never log the request itself: only its output folder', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'medals-dev-validate');
    const text = await stderrOf(() =>
      validate({ request: { ...request, image: '/data/ZZSECRET^NAME.nii.gz', prompts: ['ZZPROMPT'] } }),
    );
    expect(records(text)).toHaveLength(2);
    expect(text).not.toContain('ZZSECRET');
    expect(text).not.toContain('ZZPROMPT');
  });
});
