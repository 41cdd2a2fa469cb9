/**
 * Benchmark sweeps (issue 8) on the local engine: workflows/benchmark-sweep.asl.json with its
 * Distributed Map emulated. Six phantom npz files, one of them corrupt: five results, an
 * error.json for the corrupt one, the cohort tables, exit 0 (1 failure of 6 is within 25 %);
 * a second run resumes (only the failed case runs again) and compares with the first; a sweep
 * whose failures pass the tolerance ends in SWEEP_TOLERANCE_EXCEEDED with its summary written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../functions/tools/cli/main.js';
import { caseFile } from '../../functions/lib/case/case-files.js';
import { type NpyArray, openNpz } from '../../functions/lib/image/npz/index.js';
import { ensureModel } from '../../models/generate/index.js';
import { emulateDistributedMap, runBenchmarkSweep } from '../../workflows/benchmark-sweep.js';
import { loadDefinition, validateDefinition } from '../../workflows/local-engine.js';
import { dice } from '../helpers/dice.js';
import { phantomNpz } from '../helpers/phantom-npz.js';
import { recordingIo } from '../helpers/cli-io.js';
import { tempDir } from '../helpers/tmp.js';

const SEEDS = [1, 2, 3, 4, 5];

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('benchmark sweep', () => {
  const dir = tempDir('medals-sweep-');
  const data = path.join(dir, 'phantoms');
  const out = path.join(dir, 'out');
  let model: string;
  const truth = new Map<string, { gts: Uint8Array; shape: number[] }>();

  beforeAll(async () => {
    model = await ensureModel('phantom');
    await mkdir(data, { recursive: true });
    for (const seed of SEEDS) {
      const npz = phantomNpz(seed);
      await writeFile(path.join(data, `case-${seed}.npz`), npz.bytes);
      truth.set(`case-${seed}`, npz);
    }
    // A corrupt file: a valid npz cut in half (no end-of-directory record).
    const whole = phantomNpz(6).bytes;
    await writeFile(path.join(data, 'broken.npz'), whole.subarray(0, whole.length >> 1));
  });

  it('the definition is valid ASL, and so is its local emulation', async () => {
    const definition = await loadDefinition(path.resolve('workflows/benchmark-sweep.asl.json'));
    const map = (definition as unknown as { States: Record<string, Record<string, unknown>> }).States
      .RunCases;
    expect(map.ItemReader).toBeDefined();
    expect(map.ResultWriter).toBeDefined();
    expect(map.ToleratedFailurePercentagePath).toBe('$.itemTolerance');
    const local = emulateDistributedMap(definition as never, 3);
    expect(() => validateDefinition(local)).not.toThrow();
    expect(local.States['RunCases.ItemReader'].Next).toBe('RunCases');
    expect(local.States.PrepareSweep.Next).toBe('RunCases.ItemReader');
    expect(local.States.RunCases.MaxConcurrency).toBe(3);
  });

  it('runs 6 npz cases (one corrupt): results, error.json, cohort tables, exit 0', async () => {
    const io = recordingIo();
    const code = await main(
      ['sweep', data, '--out', out, '--concurrency', '2', '--tolerance', '25', '--model', model],
      io.io,
    );
    expect(code, io.stderr()).toBe(0);
    expect(io.stderr()).toMatch(/6 cases: 6 to run, 0 already complete/);
    expect(io.stdout()).toMatch(/5 of 6 cases succeeded, 1 failed/);

    for (const [name, t] of truth) {
      const segNpz = caseFile(path.join(out, name), 'segNpz');
      expect(existsSync(segNpz), name).toBe(true);
      // The output npz keeps the input's (D, H, W) orientation: it overlaps the ground truth.
      const segs = openNpz(readFileSync(segNpz)).get('segs') as NpyArray;
      expect(segs.shape).toEqual(t.shape);
      for (let v = 1; v <= 5; v++) {
        expect(dice(segs.data as Int16Array, t.gts, v), `${name} label ${v}`).toBeGreaterThanOrEqual(0.85);
      }
      expect(existsSync(caseFile(path.join(out, name), 'metrics')), name).toBe(true);
    }
    const broken = path.join(out, 'broken');
    const error = readJson<{ code: string; failedState: string }>(caseFile(broken, 'error'));
    expect(['INVALID_INPUT', 'UNSUPPORTED_FORMAT']).toContain(error.code);
    expect(error.failedState).toBe('Preprocess');
    expect(existsSync(caseFile(broken, 'seg'))).toBe(false);
    expect(existsSync(caseFile(broken, 'segNpz'))).toBe(false);

    const summary = readJson<{
      succeeded: number;
      failed: number;
      cases: { name: string; status: string }[];
    }>(path.join(out, 'sweep.json'));
    expect(summary.succeeded).toBe(5);
    expect(summary.failed).toBe(1);
    expect(summary.cases.find((c) => c.name === 'broken')?.status).toBe('failed');
    const cohort = readJson<{ overall: { cases: number; metrics: { dsc: { mean: number; n: number } } } }>(
      path.join(out, 'cohort.json'),
    );
    expect(cohort.overall.cases).toBe(5);
    // The cohort's mean DSC is the mean of the cases' own metrics.json figures.
    const dscs = [...truth.keys()].map(
      (name) => readJson<{ dsc: number }>(caseFile(path.join(out, name), 'metrics')).dsc,
    );
    expect(cohort.overall.metrics.dsc.mean).toBeCloseTo(dscs.reduce((a, b) => a + b, 0) / dscs.length, 10);
    for (const file of ['cohort.csv', 'cohort.html'])
      expect(existsSync(path.join(out, file)), file).toBe(true);
  });

  it('resumes: only the failed case runs again, and the cohort is compared with the last one', async () => {
    const prepared: { toRun: number; complete: number }[] = [];
    const result = await runBenchmarkSweep(
      { source: data, out, concurrency: 2, model },
      { onPrepared: (s) => prepared.push(s) },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(prepared).toEqual([expect.objectContaining({ toRun: 1, complete: 5 })]);
    const comparison = readJson<{ moved: unknown[]; compared: number }>(
      path.join(out, 'cohort-comparison.json'),
    );
    expect(comparison.compared).toBeGreaterThan(0);
    expect(comparison.moved).toEqual([]); // the same five results as before
  });

  it('fails with SWEEP_TOLERANCE_EXCEEDED past the tolerance, with its summary written', async () => {
    const manifest = path.join(dir, 'bad.jsonl');
    await writeFile(
      manifest,
      [
        JSON.stringify({ name: 'missing', request: { image: 'nowhere.nii.gz', prompts: ['liver'] } }),
        JSON.stringify({ image: 'phantoms/broken.npz', id: 'cut' }),
        JSON.stringify({ image: `phantoms/case-1.npz`, dataset: 'ok' }),
      ].join('\n'),
    );
    const badOut = path.join(dir, 'bad-out');
    const io = recordingIo();
    const code = await main(
      ['sweep', manifest, '--out', badOut, '--tolerance', '50', '--model', model],
      io.io,
    );
    expect(code).toBe(1);
    expect(io.stderr()).toMatch(/SWEEP_TOLERANCE_EXCEEDED/);
    const summary = readJson<{ succeeded: number; failed: number; withinTolerance: boolean }>(
      path.join(badOut, 'sweep.json'),
    );
    expect(summary).toMatchObject({ succeeded: 1, failed: 2, withinTolerance: false });
    expect(readJson<{ code: string }>(caseFile(path.join(badOut, 'missing'), 'error')).code).toBe(
      'NOT_FOUND',
    );
    expect(existsSync(caseFile(path.join(badOut, 'cut'), 'error'))).toBe(true);
    expect(existsSync(caseFile(path.join(badOut, 'case-1'), 'report'))).toBe(true);
  });

  it('refuses a malformed manifest with INVALID_INPUT naming the line, running nothing', async () => {
    const manifest = path.join(dir, 'malformed.jsonl');
    await writeFile(manifest, [JSON.stringify({ image: 'phantoms/case-1.npz' }), '{"image": 3}'].join('\n'));
    const malformedOut = path.join(dir, 'malformed-out');
    const io = recordingIo();
    expect(await main(['sweep', manifest, '--out', malformedOut, '--model', model], io.io)).toBe(1);
    expect(io.stderr()).toMatch(/^INVALID_INPUT: .*malformed\.jsonl line 2 /m);
    expect(existsSync(path.join(malformedOut, 'case-1'))).toBe(false);
  });
});
