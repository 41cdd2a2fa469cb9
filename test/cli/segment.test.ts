import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Volume } from '../../functions/lib/geometry/volume.js';
import { readVolumeFile, writeVolumeFile } from '../../functions/lib/image/image-io.js';
import { generatePhantom } from '../../functions/tools/phantom/phantom.js';
import { writePhantom } from '../../functions/tools/phantom/write-phantom.js';
import { tempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli-io.js';
import { dice } from '../helpers/dice.js';

describe('medals segment with the phantom model', () => {
  const dir = tempDir();

  it.each([1, 2, 3, 4, 5])('seed %i: DSC >= 0.85 for the five organs on the input grid', async (seed) => {
    const w = await writePhantom(path.join(dir, `case-${seed}`), { seed });
    const out = path.join(dir, `out-${seed}`);
    const r = await runCli(
      'segment',
      w.files.image,
      '--prompts',
      'liver,spleen,left kidney,right kidney,aorta',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/using the generated phantom model/);
    expect(r.stdout.trim()).toBe(path.join(out, 'seg.nii.gz'));
    const seg = await readVolumeFile(path.join(out, 'seg.nii.gz'));
    expect(seg.size).toEqual(w.phantom.labels.size);
    for (let a = 0; a < 3; a++) expect(seg.origin[a]).toBeCloseTo(w.phantom.labels.origin[a], 4);
    for (let v = 1; v <= 5; v++)
      expect(dice(seg.data, w.phantom.labels.data, v), `label ${v}`).toBeGreaterThanOrEqual(0.85);
    const record = JSON.parse(readFileSync(path.join(out, 'segment.json'), 'utf8'));
    expect(record.classes.map((c: { value: number }) => c.value)).toEqual([1, 2, 3, 4, 5]);
    expect(record.stages[0].classesPerPass).toBe(5);
  });

  it('names bad input: unknown class, empty prompt list, missing or wrong model folder', async () => {
    const w = await writePhantom(path.join(dir, 'bad'), { size: [32, 32, 16] });
    const unknown = await runCli(
      'segment',
      w.files.image,
      '--prompts',
      'livr',
      '--out',
      path.join(dir, 'o1'),
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^UNKNOWN_CLASS: .*did you mean 'Liver'/m);
    const empty = await runCli('segment', w.files.image, '--prompts', ' , ', '--out', path.join(dir, 'o2'));
    expect(empty.code).toBe(2);
    const noModel = await runCli(
      'segment',
      w.files.image,
      '--prompts',
      'liver',
      '--model',
      path.join(dir, 'nope'),
      '--out',
      path.join(dir, 'o3'),
    );
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/^NOT_FOUND: model folder not found: /m);
    // A folder that is there but holds no model says so.
    const notModel = await runCli(
      'segment',
      w.files.image,
      '--prompts',
      'liver',
      '--model',
      dir,
      '--out',
      path.join(dir, 'o4'),
    );
    expect(notModel.code).toBe(1);
    expect(notModel.stderr).toMatch(/^MODEL_CONTRACT: .* is not a model folder: it has no manifest\.json/m);
  });

  it('a failed case leaves error.json naming the failed state, and no seg.*', async () => {
    const w = await writePhantom(path.join(dir, 'fail'), { size: [32, 32, 16] });
    const out = path.join(dir, 'fail-out');
    const r = await runCli('segment', w.files.image, '--prompts', 'liver,spleeen', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/^UNKNOWN_CLASS: prompt 2 'spleeen'/);
    const error = JSON.parse(readFileSync(path.join(out, 'error.json'), 'utf8'));
    expect(error).toMatchObject({ code: 'UNKNOWN_CLASS', failedState: 'Preprocess' });
    expect(error.request.image).toBe(w.files.image);
    expect(existsSync(path.join(out, 'seg.nii.gz'))).toBe(false);
  });

  it('--gt writes metrics.json with the case DSC and NSD at the top level', async () => {
    const w = await writePhantom(path.join(dir, 'gt'), { seed: 7 });
    const out = path.join(dir, 'gt-out');
    const r = await runCli(
      'segment',
      w.files.image,
      '--prompts',
      'liver,spleen',
      '--gt',
      w.files.labels,
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.task).toBe('semantic');
    expect(metrics.classes.map((c: { value: number }) => c.value)).toEqual([1, 2]);
    expect(metrics.dsc).toBeGreaterThan(0.85);
    expect(metrics.nsd).toBeGreaterThan(0.8);
    expect(metrics.dsc).toBeCloseTo((metrics.classes[0].dsc + metrics.classes[1].dsc) / 2, 10);
  });

  it('medals demo prints the absolute path of report.html with seg, stats and metrics beside it', async () => {
    const out = path.join(dir, 'demo');
    const r = await runCli('demo', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const report = r.stdout.trim();
    expect(report).toBe(path.join(out, 'result', 'report.html'));
    for (const f of [
      'seg.nii.gz',
      'stats.json',
      'stats.csv',
      'metrics.json',
      'provenance.json',
      'segment.json',
    ]) {
      expect(existsSync(path.join(out, 'result', f)), f).toBe(true);
    }
    const metrics = JSON.parse(readFileSync(path.join(out, 'result', 'metrics.json'), 'utf8'));
    for (const c of metrics.classes) expect(c.dsc, c.name).toBeGreaterThanOrEqual(0.85);
    expect(readFileSync(report, 'utf8')).toMatch(/Left kidney/);
    // Every step of the workflow is timed; provenance.json is written last, so MetricsReport's
    // time there includes writing the report.
    const provenance = JSON.parse(readFileSync(path.join(out, 'result', 'provenance.json'), 'utf8')) as {
      timings: { step: string; seconds: number }[];
      total_seconds: number;
    };
    expect(provenance.timings.map((t) => t.step)).toEqual([
      'Validate',
      'Preprocess',
      'Segment',
      'Restore',
      'MetricsReport',
    ]);
    for (const t of provenance.timings) expect(t.seconds, t.step).toBeGreaterThanOrEqual(0);
    expect(provenance.total_seconds).toBeCloseTo(
      provenance.timings.reduce((sum, t) => sum + t.seconds, 0),
      9,
    );
    const mtime = (f: string) => statSync(path.join(out, 'result', f)).mtimeMs;
    expect(mtime('provenance.json')).toBeGreaterThanOrEqual(mtime('report.html'));
  });
});

describe('medals segment refuses NaN and infinite voxels in every format', () => {
  const dir = tempDir();
  const phantom = generatePhantom({ size: [32, 32, 16], seed: 4 });
  const at = 32 * 32 * 8 + 32 * 16 + 16;

  /** The float voxel `at` of a NIfTI file as its bytes hold it (read past itk-wasm, which zeroes it). */
  function niftiVoxel(file: string): number {
    const raw = file.endsWith('.gz') ? gunzipSync(readFileSync(file)) : readFileSync(file);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    expect(view.getInt16(70, true), 'datatype float32').toBe(16);
    return view.getFloat32(view.getFloat32(108, true) + 4 * at, true);
  }

  it.each(
    ['.nii', '.nii.gz', '.nrrd', '.mha'].flatMap((ext) =>
      [NaN, Infinity, -Infinity].map((value) => [ext, value] as const),
    ),
  )('%s with one %d voxel: INVALID_INPUT, and no seg.* written', async (ext, value) => {
    const data = Float32Array.from(phantom.image.data);
    data[at] = value;
    const name = `${String(value)}${ext}`;
    const image = path.join(dir, name);
    await writeVolumeFile(new Volume(phantom.image.geometry, data), image, { compress: ext !== '.nii' });
    if (ext.startsWith('.nii')) expect(Object.is(niftiVoxel(image), value)).toBe(true);
    const out = path.join(dir, `out-${name}`);
    const r = await runCli('segment', image, '--prompts', 'liver', '--out', out);
    expect(r.code).toBe(1);
    // The file is named by its path (.nrrd, .mha: after decoding) or its base name (NIfTI: from its bytes).
    const last = r.stderr.trim().split('\n').pop()!;
    expect(last.startsWith('INVALID_INPUT: ')).toBe(true);
    expect(last.endsWith(`${name} has 1 NaN or infinite voxels; fix or mask them before segmenting`)).toBe(
      true,
    );
    expect(existsSync(out) ? readdirSync(out).filter((f) => f.startsWith('seg.')) : []).toEqual([]);
  });
});
