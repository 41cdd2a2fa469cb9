/**
 * Fault injection in segment-case on the local engine (issues 8 and 9): a step made to fail
 * through runSegmentCase's beforeStep hook, the workflow's own Retry and Catch doing the rest.
 * Transient failures are retried and the case succeeds; permanent ones are not retried, end in
 * RecordFailure with error.json, and leave no final output that looks like a success, even when
 * the failing step comes after Restore wrote seg.nii.gz; re-running after a failure gives the
 * same bytes as an undisturbed run. A process killed mid-case leaves no report.html (what marks
 * a case done) and a re-run gives the same bytes; the same case started twice at once runs once.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

import { caseFile } from '../../functions/lib/case/case-files.js';
import { MedalsError, TransientError } from '../../functions/lib/core/errors.js';
import { packageRoot } from '../../functions/lib/core/package-info.js';
import { writePhantom } from '../../functions/tools/phantom/write-phantom.js';
import { ensureModel } from '../../models/generate/index.js';
import type { ExecutionEvent } from '../../workflows/local-engine.js';
import { CASE_LOCK_FILE } from '../../workflows/case-lock.js';
import { runSegmentCase } from '../../workflows/segment-case.js';
import { tempDir } from '../helpers/tmp.js';

const PROMPTS = ['liver', 'spleen', 'left kidney', 'right kidney', 'aorta'];
const FINAL = ['seg', 'stats', 'statsCsv', 'metrics', 'provenance', 'report'] as const;

const events = (list: ExecutionEvent[], type: string, state: string) =>
  list.filter((e) => e.type === type && e.state?.name === state).length;

describe('fault injection in segment-case', () => {
  const dir = tempDir('medals-faults-');
  let request: (output: string) => Record<string, unknown>;

  beforeAll(async () => {
    const w = await writePhantom(path.join(dir, 'phantom'), { seed: 2 });
    const model = await ensureModel('phantom');
    request = (output) => ({
      image: w.files.image,
      prompts: PROMPTS,
      groundTruth: w.files.labels,
      output: path.join(dir, output),
      model,
      options: { seed: 1 },
    });
  });

  /** Runs case `name` with `fault(attempt)` called before each attempt of Segment; the attempts made. */
  async function runWithSegmentFault(name: string, fault: (attempt: number) => void) {
    const attempts: number[] = [];
    const result = await runSegmentCase(
      { request: request(name) },
      {
        beforeStep: (state, attempt) => {
          if (state !== 'Segment') return;
          attempts.push(attempt);
          fault(attempt);
        },
      },
    );
    return { result, attempts };
  }

  /** The case in `out` wrote the same seg.nii.gz bytes as the undisturbed 'transient' run. */
  function expectSegAsUndisturbed(out: string): void {
    const undisturbed = readFileSync(caseFile(path.join(dir, 'transient'), 'seg'));
    expect(readFileSync(caseFile(out, 'seg')).equals(undisturbed)).toBe(true);
  }

  it('retries a Segment that fails once with TRANSIENT, and the case succeeds', async () => {
    const { result, attempts } = await runWithSegmentFault('transient', (attempt) => {
      if (attempt === 1) throw new TransientError('spot capacity reclaimed');
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(attempts).toEqual([1, 2]);
    expect(events(result.events, 'StateRetried', 'Segment')).toBe(1);
    const out = path.join(dir, 'transient');
    for (const f of FINAL) expect(existsSync(caseFile(out, f)), f).toBe(true);
    expect(existsSync(caseFile(out, 'error'))).toBe(false);
  });

  it('does not retry INVALID_INPUT from Segment: RecordFailure writes error.json, no seg.*', async () => {
    const { result, attempts } = await runWithSegmentFault('permanent', () => {
      throw new MedalsError('INVALID_INPUT', 'the stage-1 volume is empty');
    });
    expect(result.status).toBe('FAILED');
    expect(attempts).toEqual([1]);
    expect(events(result.events, 'StateRetried', 'Segment')).toBe(0);
    const out = path.join(dir, 'permanent');
    const error = JSON.parse(readFileSync(caseFile(out, 'error'), 'utf8')) as Record<string, unknown>;
    expect(error).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'the stage-1 volume is empty',
      failedState: 'Segment',
    });
    for (const f of FINAL) expect(existsSync(caseFile(out, f)), f).toBe(false);
  });

  it('removes seg.nii.gz when a later step fails for good, and a re-run gives the same bytes', async () => {
    const out = path.join(dir, 'late');
    let restored = false;
    const failed = await runSegmentCase(
      { request: request('late') },
      {
        beforeStep: (state) => {
          if (state !== 'MetricsReport') return;
          restored = existsSync(caseFile(out, 'seg')); // Restore has written it by now
          throw new MedalsError('INTERNAL', 'the report writer crashed');
        },
      },
    );
    expect(failed.status).toBe('FAILED');
    expect(restored).toBe(true);
    const error = JSON.parse(readFileSync(caseFile(out, 'error'), 'utf8')) as Record<string, unknown>;
    expect(error).toMatchObject({ code: 'INTERNAL', failedState: 'MetricsReport' });
    for (const f of FINAL) expect(existsSync(caseFile(out, f)), f).toBe(false);
    expect(existsSync(caseFile(out, 'working'))).toBe(true); // work/ stays for inspection

    const again = await runSegmentCase({ request: request('late') });
    expect(again.status).toBe('SUCCEEDED');
    expectSegAsUndisturbed(out);
  });

  it('survives a process killed mid-case: no report.html, and a re-run gives the same bytes', async () => {
    // A child process runs the case (compiled code, as `medals` runs) and SIGKILLs itself as
    // MetricsReport starts: Restore has written seg.nii.gz, nothing got to clean up.
    const out = path.join(dir, 'killed');
    const workflow = pathToFileURL(path.join(packageRoot(), 'dist', 'workflows', 'segment-case.js')).href;
    const script = `
      const { runSegmentCase } = await import(${JSON.stringify(workflow)});
      await runSegmentCase({ request: JSON.parse(process.env.MEDALS_TEST_REQUEST) }, {
        beforeStep: (state) => { if (state === 'MetricsReport') process.kill(process.pid, 'SIGKILL'); },
      });
      process.exit(3); // not reached
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, MEDALS_TEST_REQUEST: JSON.stringify(request('killed')) },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.signal, child.stderr).toBe('SIGKILL');
    expect(existsSync(caseFile(out, 'seg'))).toBe(true);
    expect(existsSync(caseFile(out, 'report'))).toBe(false);
    expect(existsSync(caseFile(out, 'error'))).toBe(false);
    expect(existsSync(path.join(out, CASE_LOCK_FILE))).toBe(true); // the dead run's lock

    const again = await runSegmentCase({ request: request('killed') });
    expect(again.status).toBe('SUCCEEDED');
    expect(existsSync(path.join(out, CASE_LOCK_FILE))).toBe(false);
    expectSegAsUndisturbed(out);
    for (const f of FINAL) expect(existsSync(caseFile(out, f)), f).toBe(true);
  });

  it('runs the same case started twice at once only once: the second start is refused', async () => {
    const out = path.join(dir, 'twice');
    let letFirstGoOn!: () => void;
    const held = new Promise<void>((resolve) => (letFirstGoOn = resolve));
    let firstStarted!: () => void;
    const started = new Promise<void>((resolve) => (firstStarted = resolve));
    const steps: string[] = [];
    const first = runSegmentCase(
      { request: request('twice') },
      {
        beforeStep: async (state) => {
          steps.push(`first ${state}`);
          if (state !== 'Preprocess') return;
          firstStarted();
          await held;
        },
      },
    );
    await started;
    const second = await runSegmentCase(
      { request: request('twice') },
      { beforeStep: (state) => void steps.push(`second ${state}`) },
    );
    letFirstGoOn();
    expect(second).toMatchObject({ status: 'FAILED', error: 'CASE_RUNNING' });
    expect((second as { cause: string }).cause).toContain(`process ${process.pid}`);
    expect((await first).status).toBe('SUCCEEDED');
    expect(steps.filter((s) => s.startsWith('second'))).toEqual([]);
    expect(existsSync(caseFile(out, 'error'))).toBe(false);
    expectSegAsUndisturbed(out);
    expect(existsSync(path.join(out, CASE_LOCK_FILE))).toBe(false);
    // Once the first has ended, the same case runs again.
    expect((await runSegmentCase({ request: request('twice') })).status).toBe('SUCCEEDED');
  });
});
