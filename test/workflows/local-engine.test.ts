import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

import { MedalsError, TransientError } from '../../functions/lib/core/errors.js';
import { handler as recordFailure } from '../../functions/steps/record-failure/handler.js';
import { handler as validate } from '../../functions/steps/validate/handler.js';
import { sha256 } from '../../functions/lib/core/hash.js';
import { validatedWhenBuilt } from '../../workflows/valid-definitions.js';
import {
  loadDefinition,
  runStateMachine,
  validateDefinition,
  type ExecutionEvent,
  type TaskContext,
} from '../../workflows/local-engine.js';

const fixture = new URL('../fixtures/retry-catch.json', import.meta.url);
const workflows = new URL('../../workflows/', import.meta.url);
const CAUGHT_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:caught';

const count = (events: ExecutionEvent[], type: string, state?: string) =>
  events.filter((e) => e.type === type && (state === undefined || e.state?.name === state)).length;

async function loadFixture(): Promise<unknown> {
  return JSON.parse(await readFile(fixture, 'utf8')) as unknown;
}

describe('local engine: Retry and Catch match handler error names', () => {
  it('retries TRANSIENT twice, then the output arrives', async () => {
    const contexts: TaskContext[] = [];
    const flaky = async (input: { n: number }, context: TaskContext) => {
      contexts.push(context);
      if (context.attempt <= 2) throw new TransientError(`try ${context.attempt} lost its connection`);
      return { n: input.n + 1, attempt: context.attempt };
    };
    const caught = async () => {
      throw new Error('Catch must not run');
    };
    const started = performance.now();
    const run = await runStateMachine(
      await loadFixture(),
      { n: 41 },
      {
        handlers: { FlakyFunctionArn: flaky, [CAUGHT_ARN]: caught },
      },
    );
    const ms = performance.now() - started;

    expect(run.status).toBe('SUCCEEDED');
    if (run.status !== 'SUCCEEDED') return;
    expect(run.output).toEqual({ n: 42, attempt: 3 });
    expect(contexts.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(contexts.every((c) => c.stateName === 'Flaky' && c.resource === '${FlakyFunctionArn}')).toBe(true);
    // The engine's own Retry ran (not a loop of ours): two StateRetried, two TRANSIENT failures.
    expect(count(run.events, 'StateRetried', 'Flaky')).toBe(2);
    const failures = run.events.filter((e) => e.type === 'StateFailed');
    expect(failures.map((e) => e.Error)).toEqual(['TRANSIENT', 'TRANSIENT']);
    expect(count(run.events, 'StateCaught')).toBe(0);
    expect(ms).toBeLessThan(2000); // IntervalSeconds 0.01 with FULL jitter
  });

  it('does not retry INVALID_INPUT; Catch delivers its name and message', async () => {
    let calls = 0;
    const flaky = async () => {
      calls++;
      throw new MedalsError('INVALID_INPUT', "missing required field 'image'");
    };
    const seen: unknown[] = [];
    const caught = async (input: unknown) => {
      seen.push(input);
      return { handled: true };
    };
    const run = await runStateMachine(
      await loadFixture(),
      { n: 1 },
      {
        handlers: { '${FlakyFunctionArn}': flaky, [CAUGHT_ARN]: caught },
      },
    );

    expect(run.status).toBe('SUCCEEDED');
    expect(calls).toBe(1);
    expect(count(run.events, 'StateRetried')).toBe(0);
    expect(count(run.events, 'StateCaught', 'Flaky')).toBe(1);
    expect(seen).toEqual([
      { n: 1, error: { Error: 'INVALID_INPUT', Cause: "missing required field 'image'" } },
    ]);
  });

  it('gives up after MaxAttempts retries and then catches TRANSIENT', async () => {
    let calls = 0;
    const seen: unknown[] = [];
    const run = await runStateMachine(
      await loadFixture(),
      {},
      {
        handlers: {
          FlakyFunctionArn: async () => {
            calls++;
            throw new TransientError('still down');
          },
          [CAUGHT_ARN]: async (input: unknown) => seen.push(input),
        },
        retryIntervalMs: 0,
      },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(calls).toBe(4); // 1 + MaxAttempts 3
    expect(seen).toEqual([{ error: { Error: 'TRANSIENT', Cause: 'still down' } }]);
  });

  it('turns a Task over its TimeoutSeconds into States.Timeout and aborts the handler signal', async () => {
    let signal: AbortSignal | undefined;
    const seen: unknown[] = [];
    const run = await runStateMachine(
      await loadFixture(),
      {},
      {
        handlers: {
          FlakyFunctionArn: (_input: unknown, context: TaskContext) => {
            signal = context.signal;
            return new Promise(() => {}); // never settles
          },
          [CAUGHT_ARN]: async (input: unknown) => seen.push(input),
        },
      },
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(seen).toEqual([{ error: { Error: 'States.Timeout', Cause: 'States.Timeout' } }]);
    expect(signal?.aborted).toBe(true);
  });

  it('reports an uncaught failure with its error name and cause', async () => {
    const definition = {
      StartAt: 'Only',
      States: { Only: { Type: 'Task', Resource: '${OnlyFunctionArn}', TimeoutSeconds: 5, End: true } },
    };
    const run = await runStateMachine(
      definition,
      {},
      {
        handlers: {
          OnlyFunctionArn: async () => {
            throw new MedalsError('NOT_FOUND', 'no such case');
          },
        },
      },
    );
    expect(run).toMatchObject({ status: 'FAILED', error: 'NOT_FOUND', cause: 'no such case' });
  });

  it('the build records exactly the shipped definitions as validated; other texts are checked at run time', async () => {
    const record = JSON.parse(
      await readFile(new URL('../../dist/workflows/valid-definitions.json', import.meta.url), 'utf8'),
    ) as { sha256: string[] };
    const shipped = (await readdir(workflows)).filter((f) => f.endsWith('.asl.json')).sort();
    const texts = await Promise.all(
      shipped.map(async (f) => JSON.stringify(JSON.parse(await readFile(new URL(f, workflows), 'utf8')))),
    );
    expect(record.sha256).toEqual(texts.map((t) => sha256(t)));
    for (const text of texts) {
      expect(validatedWhenBuilt(text)).toBe(true);
      expect(() => validateDefinition(JSON.parse(text), 'shipped', { always: true })).not.toThrow();
    }
    // One state renamed: not the shipped text any more, so asl-validator runs (and refuses it).
    const changed = texts[0].replace('"StartAt":"', '"StartAt":"X');
    expect(validatedWhenBuilt(changed)).toBe(false);
    expect(() => validateDefinition(JSON.parse(changed))).toThrow(/invalid state machine definition/);
  });

  it('refuses an invalid definition and a Task without a handler, before running anything', async () => {
    await expect(runStateMachine({ StartAt: 'Nowhere', States: {} }, {})).rejects.toThrow(
      /invalid state machine definition/,
    );
    expect(() => validateDefinition({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' } } })).toThrow(
      /invalid/,
    );
    await expect(runStateMachine(await loadFixture(), {}, { handlers: {} })).rejects.toThrow(
      /no local handler for Task states 'Flaky' \(Resource \$\{FlakyFunctionArn\}\), 'Caught'/,
    );
  });
});

describe('workflows/validate-request.asl.json with the real handlers', () => {
  const handlers = { ValidateFunctionArn: validate, RecordFailureFunctionArn: recordFailure };
  const request = {
    image: 'file:///data/case.nii.gz',
    prompts: ['liver', 'spleen'],
    output: 'file:///data/out',
  };

  it('passes a valid request through Validate', async () => {
    const definition = await loadDefinition(new URL('validate-request.asl.json', workflows));
    const run = await runStateMachine(definition, { request }, { handlers });
    expect(run).toMatchObject({ status: 'SUCCEEDED', output: { request, valid: true } });
    expect(count(run.events, 'StateEntered', 'RecordFailure')).toBe(0);
  });

  it('ends a request without image in Failed with INVALID_INPUT naming the field', async () => {
    const definition = await loadDefinition(new URL('validate-request.asl.json', workflows));
    const { image: _image, ...withoutImage } = request;
    const run = await runStateMachine(definition, { request: withoutImage }, { handlers });
    expect(run.status).toBe('FAILED');
    if (run.status === 'SUCCEEDED') return;
    expect(run.error).toBe('INVALID_INPUT');
    expect(run.cause).toMatch(/'image'/);
    expect(count(run.events, 'StateRetried')).toBe(0);
    expect(count(run.events, 'StateExited', 'RecordFailure')).toBe(1);
    expect(count(run.events, 'StateEntered', 'Failed')).toBe(1);
  });

  it('ends an input without any request in Failed with INVALID_INPUT', async () => {
    const definition = await loadDefinition(new URL('validate-request.asl.json', workflows));
    const run = await runStateMachine(definition, {}, { handlers });
    expect(run).toMatchObject({ status: 'FAILED', error: 'INVALID_INPUT' });
  });
});

describe('asl-validator', () => {
  it('accepts every workflows/*.asl.json', async () => {
    const files = (await readdir(workflows)).filter((f) => f.endsWith('.asl.json'));
    expect(files).toContain('validate-request.asl.json');
    for (const file of files)
      await expect(loadDefinition(new URL(file, workflows))).resolves.toBeTypeOf('object');
  });
});
