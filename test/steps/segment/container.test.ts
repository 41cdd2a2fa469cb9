import { describe, expect, it, vi } from 'vitest';

import { MedalsError } from '../../../functions/lib/core/errors.js';
import { eventOfTask, main } from '../../../functions/steps/segment/container.js';

describe('the GPU container entry point', () => {
  it('takes the step input from the command argument, else from MEDALS_EVENT', () => {
    const event = { request: { image: 'a.nii.gz' }, model: 'm', preprocess: 'p' };
    expect(eventOfTask([JSON.stringify(event)], {})).toEqual(event);
    expect(eventOfTask([], { MEDALS_EVENT: JSON.stringify(event) })).toEqual(event);
    // An argument wins over the environment (a command override replaces the definition's).
    expect(eventOfTask(['{"model":"arg"}'], { MEDALS_EVENT: '{"model":"env"}' })).toEqual({ model: 'arg' });
    for (const [argv, env] of [
      [[], {}],
      [[], { MEDALS_EVENT: 'not json' }],
      [['{broken'], {}],
    ] as const) {
      let error: unknown;
      try {
        eventOfTask(argv, env);
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify({ argv, env })).toBeInstanceOf(MedalsError);
      expect((error as MedalsError).code).toBe('INVALID_INPUT');
    }
  });

  it('exits 1 with CODE: message on stderr when the step fails', async () => {
    let written = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      written += String(chunk);
      return true;
    });
    try {
      expect(await main(['{"request": {}, "model": "m", "preprocess": "p"}'])).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(written).toMatch(/^INVALID_INPUT: /);
  });
});
