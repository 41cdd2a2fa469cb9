/**
 * `medals evaluate` in-process on phantom pairs whose answers can be counted by hand: the
 * prediction is the ground truth with the spleen eroded by one voxel (6-neighbourhood), so the
 * spleen's DSC is 2 |eroded| / (|spleen| + |eroded|) and every other class scores 1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeVolumeFile } from '../../functions/lib/image/image-io.js';
import { writeNpz } from '../../functions/lib/image/npz/index.js';
import { Volume } from '../../functions/lib/geometry/volume.js';
import { semanticMetrics } from '../../functions/lib/metrics/index.js';
import { writePhantom } from '../../functions/tools/phantom/write-phantom.js';
import { tempDir } from '../helpers/tmp.js';
import { runCli } from '../helpers/cli-io.js';
import { geometry } from '../helpers/geometry.js';

/** `labels` with the voxels of `value` that have a 6-neighbour of another value (or the grid edge) set to 0. */
function erode(labels: Volume, value: number): Volume {
  const [X, Y, Z] = labels.size;
  const out = new Volume(labels.geometry, labels.data.slice());
  for (let k = 0; k < Z; k++) {
    for (let j = 0; j < Y; j++) {
      for (let i = 0; i < X; i++) {
        if (labels.get(i, j, k) !== value) continue;
        const inside =
          i > 0 &&
          i < X - 1 &&
          j > 0 &&
          j < Y - 1 &&
          k > 0 &&
          k < Z - 1 &&
          [
            [i - 1, j, k],
            [i + 1, j, k],
            [i, j - 1, k],
            [i, j + 1, k],
            [i, j, k - 1],
            [i, j, k + 1],
          ].every(([a, b, c]) => labels.get(a, b, c) === value);
        if (!inside) out.set(i, j, k, 0);
      }
    }
  }
  return out;
}

function count(v: Volume, value: number): number {
  let n = 0;
  for (let i = 0; i < v.data.length; i++) if (v.data[i] === value) n++;
  return n;
}

describe('medals evaluate', () => {
  let dir: string;
  let gtFile: string;
  let predFile: string;
  let promptsFile: string;
  let gt: Volume;
  let pred: Volume;
  let spleenDsc: number;

  beforeAll(async () => {
    dir = tempDir('medals-evaluate-');
    const written = await writePhantom(path.join(dir, 'case'), { size: [48, 44, 20], seed: 5 });
    gt = written.phantom.labels;
    gtFile = written.files.labels;
    promptsFile = written.files.prompts;
    pred = erode(gt, 2);
    predFile = path.join(dir, 'pred.nii.gz');
    await writeVolumeFile(pred, predFile);
    const a = count(gt, 2);
    const b = count(pred, 2);
    expect(b).toBeGreaterThan(0);
    expect(b).toBeLessThan(a);
    spleenDsc = (2 * b) / (a + b);
  });

  it('scores the prompted labels by value and writes metrics.json with case figures on top', async () => {
    const out = path.join(dir, 'out-prompts');
    const r = await runCli(
      'evaluate',
      '--pred',
      predFile,
      '--gt',
      gtFile,
      '--prompts',
      promptsFile,
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(out, 'metrics.json');
    const m = JSON.parse(readFileSync(file, 'utf8'));
    expect(m.task).toBe('semantic');
    expect(Object.keys(m).slice(0, 4)).toEqual(['format', 'task', 'dsc', 'nsd']);
    expect(m.dsc).toBeCloseTo((4 + spleenDsc) / 5, 12);
    expect(m.classes.map((c: { value: number; name: string }) => [c.value, c.name])).toEqual([
      [1, 'Liver'],
      [2, 'Spleen'],
      [3, 'Left kidney'],
      [4, 'Right kidney'],
      [5, 'Aorta'],
    ]);
    const spleen = m.classes[1];
    expect(spleen.dsc).toBeCloseTo(spleenDsc, 12);
    expect(spleen.gt_voxels).toBe(count(gt, 2));
    expect(spleen.pred_voxels).toBe(count(pred, 2));
    expect(spleen.nsd).toBeGreaterThan(0);
    expect(spleen.nsd).toBeLessThanOrEqual(1);
    for (const c of m.classes.filter((c: { value: number }) => c.value !== 2))
      expect([c.dsc, c.nsd]).toEqual([1, 1]);
    expect(m.nsd).toBeCloseTo((4 + spleen.nsd) / 5, 12);
    expect(m.tolerance_mm).toBe(2);
    expect(m.spacing_mm).toEqual(gt.spacing.map((s) => Math.fround(s)));
    // The table names every class and ends with where metrics.json went.
    for (const name of ['Liver', 'Spleen', 'Left kidney', 'Right kidney', 'Aorta'])
      expect(r.stdout).toContain(name);
    expect(r.stdout).toMatch(/case\s+mean of 5\s+0\.\d{4}\s+0\.\d{4}/);
    expect(r.stdout.trim().split('\n').pop()).toBe(file);
  });

  it('scores every ground-truth label without --prompts, writes into the current directory by default', async () => {
    const cwd = process.cwd();
    const here = tempDir('medals-evaluate-cwd-');
    process.chdir(here);
    try {
      const r = await runCli('evaluate', '--pred', predFile, '--gt', gtFile, '--tolerance', '1');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/labels from ground truth/);
      const m = JSON.parse(readFileSync(path.join(here, 'metrics.json'), 'utf8'));
      expect(m.classes.map((c: { value: number }) => c.value)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(m.classes.every((c: { name: string | null }) => c.name === null)).toBe(true);
      expect(m.dsc).toBeCloseTo((5 + spleenDsc) / 6, 12);
      expect(m.tolerance_mm).toBe(1);
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses a prediction of another geometry with INVALID_INPUT and writes nothing', async () => {
    const moved = new Volume(
      { ...pred.geometry, origin: [pred.origin[0] + 5, pred.origin[1], pred.origin[2]] },
      pred.data,
    );
    const movedFile = path.join(dir, 'moved.nii.gz');
    await writeVolumeFile(moved, movedFile);
    const out = path.join(dir, 'out-moved');
    const r = await runCli('evaluate', '--pred', movedFile, '--gt', gtFile, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^INVALID_INPUT: .*geometry/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(out, 'metrics.json'))).toBe(false);

    const mixed = await runCli('evaluate', '--pred', predFile, '--gt', path.join(dir, 'x.npz'), '--out', out);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/^INVALID_INPUT: .*both be challenge npz/);
    const usage = await runCli('evaluate', '--pred', predFile, '--gt', gtFile, '--tolerance', 'two');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^USAGE: --tolerance/);
  });

  it('scores a challenge npz pair: labels from text_prompts, spacing from the gt applied to (D, H, W)', async () => {
    const [X, Y, Z] = gt.size;
    const shape = [Z, Y, X];
    const stored = [2.5, 0.8, 0.75]; // as the npz holds it, for (D, H, W)
    const gtNpz = path.join(dir, 'case.npz');
    const predNpz = path.join(dir, 'case-pred.npz');
    writeFileSync(
      gtNpz,
      writeNpz({
        imgs: { dtype: 'uint8', shape, data: new Uint8Array(gt.data.length), fortranOrder: false },
        gts: { dtype: 'uint8', shape, data: gt.data as Uint8Array, fortranOrder: false },
        spacing: { dtype: 'float64', shape: [3], data: Float64Array.from(stored), fortranOrder: false },
        text_prompts: {
          dtype: 'object',
          shape: [],
          value: { '1': 'liver in CT', '2': 'spleen in CT', instance_label: 0 },
        },
      }),
    );
    writeFileSync(
      predNpz,
      writeNpz({ segs: { dtype: 'int16', shape, data: Int16Array.from(pred.data), fortranOrder: false } }),
    );
    const out = path.join(dir, 'out-npz');
    const r = await runCli('evaluate', '--pred', predNpz, '--gt', gtNpz, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/labels from text_prompts/);
    const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(m.spacing_mm).toEqual([0.75, 0.8, 2.5]);
    expect(m.classes.map((c: { value: number; name: string }) => [c.value, c.name])).toEqual([
      [1, 'liver in CT'],
      [2, 'spleen in CT'],
    ]);
    expect(m.classes[1].dsc).toBeCloseTo(spleenDsc, 12);
    // The same as scoring the volumes with that spacing directly.
    const grid = geometry(gt.size, [0.75, 0.8, 2.5]);
    const direct = await semanticMetrics(new Volume(grid, gt.data), new Volume(grid, pred.data), {
      labels: [1, 2],
    });
    expect(m.nsd).toBeCloseTo(direct.nsd, 12);
    expect(m.dsc).toBeCloseTo((1 + spleenDsc) / 2, 12);
  });

  it('scores an instance task with --instance: F1 and DSC TP at the top level', async () => {
    // Ground truth: three lesions (values 1, 2, 3). Prediction: a binary mask holding lesions 1 and
    // 2 exactly and one false lesion; the evaluator splits it into 6-connected instances.
    // tp = 2, fp = 1, fn = 1: precision = recall = F1 = 2/3, DSC TP = 1.
    const grid = geometry([12, 10, 6], [0.8, 0.8, 2.5], [1, 2, 3], gt.direction);
    const truth = Volume.zeros('uint8', grid);
    const guess = Volume.zeros('uint8', grid);
    const block = (v: Volume, x: number, y: number, z: number, value: number) => {
      for (let k = z; k < z + 2; k++)
        for (let j = y; j < y + 2; j++) for (let i = x; i < x + 2; i++) v.set(i, j, k, value);
    };
    block(truth, 1, 1, 1, 1);
    block(truth, 6, 1, 1, 2);
    block(truth, 1, 6, 3, 3);
    block(guess, 1, 1, 1, 1);
    block(guess, 6, 1, 1, 1);
    block(guess, 8, 6, 3, 1);
    const gtFileL = path.join(dir, 'lesions.nii.gz');
    const predFileL = path.join(dir, 'lesions-pred.nii.gz');
    await writeVolumeFile(truth, gtFileL);
    await writeVolumeFile(guess, predFileL);
    const out = path.join(dir, 'out-instance');
    const r = await runCli('evaluate', '--pred', predFileL, '--gt', gtFileL, '--instance', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(m.task).toBe('instance');
    expect(Object.keys(m).slice(0, 4)).toEqual(['format', 'task', 'f1', 'dsc_tp']);
    expect([m.tp, m.fp, m.fn]).toEqual([2, 1, 1]);
    expect(m.f1).toBeCloseTo(2 / 3, 12);
    expect(m.dsc_tp).toBe(1);
    expect(m.classes[0]).toMatchObject({ gt_instances: 3, pred_instances: 3, prediction_relabelled: true });
    expect(r.stdout).toMatch(/F1\s+DSC TP/);
  });
});
