/**
 * The lesion (instance) task end to end on the phantom: 'liver tumors' resolves to the CT lesion
 * class "Liver tumors", the phantom model's lesion row segments the phantom's liver lesions, and
 * the workflow runs it as an instance task (3 passes per window in stage 1, 4 in stage 2) and
 * scores it as the challenge does.
 *
 * F1 threshold: measured with the phantom model on the default phantom, seeds 0..9 (instance F1
 * 0.966, 0.952, 0.960, 0.966, 0.963, 0.966, 0.923, 0.909, 0.889, 0.957; every lesion found on
 * every seed, DSC TP 0.835..0.880). The false positives are one thin shell of soft tissue just
 * outside the liver surface (see phantomLesionWindows) and, on some seeds, a second piece of a
 * large lesion. The seeds run here (0, 1, 2) reach 0.952..0.966 with 10..14 lesions and one
 * false positive; 0.9 leaves room for about one more miss or false positive per seed (seed 1
 * with one lesion lost scores exactly 0.9), not two (0.87..0.90 on these seeds).
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { caseFile } from '../../functions/lib/case/case-files.js';
import { storageFor } from '../../functions/lib/storage/index.js';
import { Volume as Vol, type Volume } from '../../functions/lib/geometry/volume.js';
import { instanceMetrics } from '../../functions/lib/metrics/index.js';
import { readRestoreRecord } from '../../functions/steps/restore/record.js';
import type { StatsDocument } from '../../functions/lib/stats/index.js';
import { readVolume } from '../../functions/lib/image/volume-store.js';
import type { InstanceMetricsDocument } from '../../functions/lib/metrics/outputs.js';
import { writePhantom } from '../../functions/tools/phantom/write-phantom.js';
import { readSegmentRecord } from '../../functions/steps/segment/record.js';
import { ensureModel } from '../../models/generate/index.js';
import { runSegmentCase } from '../../workflows/segment-case.js';
import { components6 } from '../helpers/components.js';
import { forwardWindow, usePhantomModel } from '../helpers/models.js';
import { tempDir } from '../helpers/tmp.js';

const F1_THRESHOLD = 0.9;
const SEEDS = [0, 1, 2];

/**
 * True positives counted independently of functions/lib/metrics: ground-truth lesions that some
 * 6-connected component of the prediction overlaps with IoU >= 0.5 (brute force over all pairs).
 * Such a component holds more than half of its voxels in that lesion, so no component matches
 * two lesions and no assignment step is needed.
 */
function countTruePositives(gt: Volume, pred: Volume): { tp: number; gt: number; pred: number } {
  const { labels, count } = components6(pred.data, pred.size);
  const lesions = Array.from(gt.data, Number).reduce((a, b) => Math.max(a, b), 0);
  const gtSize = new Float64Array(lesions + 1);
  const predSize = new Float64Array(count + 1);
  const overlap = new Float64Array((lesions + 1) * (count + 1));
  for (let n = 0; n < labels.length; n++) {
    const g = Number(gt.data[n]);
    const p = labels[n];
    gtSize[g]++;
    predSize[p]++;
    overlap[g * (count + 1) + p]++;
  }
  let tp = 0;
  for (let g = 1; g <= lesions; g++) {
    let matched = false;
    for (let p = 1; p <= count && !matched; p++) {
      const o = overlap[g * (count + 1) + p];
      matched = o > 0 && o / (gtSize[g] + predSize[p] - o) >= 0.5;
    }
    if (matched) tp++;
  }
  return { tp, gt: lesions, pred: count };
}

describe('lesion task on the phantom (phantom model, "liver tumors")', () => {
  const dir = tempDir('medals-lesion-');
  let model: string;

  beforeAll(async () => {
    model = await ensureModel('phantom');
  });

  it.each(SEEDS)(
    `seed %i: an instance task, F1 >= ${F1_THRESHOLD}, the true positives recounted`,
    async (seed) => {
      const w = await writePhantom(path.join(dir, `phantom-${seed}`), { seed });
      const output = path.join(dir, `out-${seed}`);
      const run = await runSegmentCase({
        request: {
          image: w.files.image,
          prompts: ['liver tumors'],
          groundTruth: w.files.lesions,
          output,
          model,
        },
      });
      expect(run.status).toBe('SUCCEEDED');

      const segment = await readSegmentRecord(caseFile(output, 'segment'));
      expect(segment.instance).toBe(true);
      expect(segment.classes.map((c) => [c.name, c.modality])).toEqual([['Liver tumors', 'CT']]);
      expect(segment.stages.map((s) => s.stage)).toEqual([1, 2]);
      const [one, two] = segment.stages;
      expect(one.passesPerWindow).toBe(3);
      expect(two.passesPerWindow).toBe(4);
      // Stage 1 found the lesions, so stage 2 ran on their ROI with stage 1 as its prompts.
      expect(two.stage2?.mode).toBe('roi');
      expect(two.stage2?.extraRounds).toBe(1);

      const metrics = await storageFor(output).readJson<InstanceMetricsDocument>(caseFile(output, 'metrics'));
      expect(metrics.task).toBe('instance');
      expect(metrics.iou_threshold).toBe(0.5);
      expect(metrics.classes[0].gt_instances).toBe(w.phantom.lesionCount);
      expect(metrics.f1).toBeGreaterThanOrEqual(F1_THRESHOLD);
      expect(metrics.dsc_tp).toBeGreaterThan(0.75);

      const seg = await readVolume(caseFile(output, 'seg'));
      const gt = await readVolume(w.files.lesions);
      const mine = countTruePositives(gt, seg);
      expect(mine.gt).toBe(w.phantom.lesionCount);
      expect(metrics.tp).toBe(mine.tp);
      expect(metrics.matches).toHaveLength(mine.tp);
      expect(metrics.classes[0].pred_instances).toBe(mine.pred);
      expect(metrics.fp).toBe(mine.pred - mine.tp);
      expect(metrics.fn).toBe(mine.gt - mine.tp);
    },
  );
});

describe('lesion task output: binary, as the official (inference.py L67-73, L1077-1079)', () => {
  const dir = tempDir('medals-lesion-binary-');

  it('prompt value 3: seg holds 0/1 only, one structure (1), and the same instance metrics as value 3 would get', async () => {
    const model = await ensureModel('phantom');
    const w = await writePhantom(path.join(dir, 'phantom'), { seed: 0 });
    const output = path.join(dir, 'out');
    const run = await runSegmentCase({
      request: {
        image: w.files.image,
        prompts: { '3': 'liver tumors' },
        groundTruth: w.files.lesions,
        output,
        model,
      },
    });
    expect(run.status).toBe('SUCCEEDED');
    const seg = await readVolume(caseFile(output, 'seg'));
    const values = new Set(Array.from(seg.data, Number));
    expect([...values].sort()).toEqual([0, 1]);
    const restore = await readRestoreRecord(caseFile(output, 'restore'));
    expect(restore.postprocess.instanceBinary?.value).toBe(1);
    const stats = await storageFor(output).readJson<StatsDocument>(caseFile(output, 'stats'));
    expect(stats.structures.map((st) => [st.value, st.name])).toEqual([[1, 'Liver tumors']]);
    // The challenge evaluator splits a binary prediction into 6-connected components, so the
    // instances it scores are the components whatever the value: the same F1 and DSC TP as the
    // prediction valued 3 (what medals wrote before), and the true positives recounted here.
    const metrics = await storageFor(output).readJson<InstanceMetricsDocument>(caseFile(output, 'metrics'));
    const gt = await readVolume(w.files.lesions);
    const asThree = new Vol<'uint8'>(
      seg.geometry,
      Uint8Array.from(seg.data, (v) => (v ? 3 : 0)),
    );
    const before = await instanceMetrics(gt, asThree);
    expect([metrics.f1, metrics.dsc_tp, metrics.tp, metrics.fp, metrics.fn]).toEqual([
      before.f1,
      before.dscTp,
      before.tp,
      before.fp,
      before.fn,
    ]);
    const mine = countTruePositives(gt, seg);
    expect(metrics.tp).toBe(mine.tp);
    expect(metrics.f1).toBeGreaterThanOrEqual(F1_THRESHOLD);
  });
});

describe('phantom model: which sentences select the lesion row', () => {
  const loaded = usePhantomModel();

  it('only the liver tumour sentence in CT; one concept alone, or MRI, selects "none"', async () => {
    const queries = [
      { sentence: 'Liver tumors detected in abdominal CT imaging', modality: 'CT' as const },
      { sentence: 'Lung lesions identified in abdominal CT imaging', modality: 'CT' as const },
      { sentence: 'Kidney lesions detected in abdominal CT imaging', modality: 'CT' as const },
      { sentence: 'Liver tumors detected in abdominal CT imaging', modality: 'MRI' as const },
    ];
    const embedded = await loaded().text.embed(queries);
    const [H, W, D] = loaded().stage(1).patch;
    const voxels = H * W * D;
    const n = queries.length;
    // Liver (140.25 on the 0..255 scale) with one small lesion-dark ball (108.4, radius 1.5
    // voxels) at the centre of the window.
    const image = new Float32Array(voxels).fill(140.25);
    const at = (h: number, w: number, d: number) => (h * W + w) * D + d;
    const [ch, cw, cd] = [H / 2, W / 2, D / 2];
    for (let h = ch - 2; h <= ch + 2; h++)
      for (let w = cw - 2; w <= cw + 2; w++)
        for (let d = cd - 2; d <= cd + 2; d++)
          if (Math.hypot(h - ch, w - cw, d - cd) <= 1.5) image[at(h, w, d)] = 108.375;
    expect(embedded.data).toHaveLength(n * loaded().embeddingWidth);
    const logits = await forwardWindow(loaded(), 1, embedded.data, image);
    // The tumour sentence: the ball, not the liver around it (the Liver row would do the reverse).
    expect(logits[at(ch, cw, cd)]).toBeGreaterThan(0);
    expect(logits[at(ch, cw, 4)]).toBeLessThan(0);
    expect(logits[at(4, 4, 4)]).toBeLessThan(0);
    // The others: the "none" row, far below zero everywhere.
    for (let c = 1; c < n; c++) {
      const max = logits.subarray(c * voxels, (c + 1) * voxels).reduce((a, b) => Math.max(a, b), -Infinity);
      expect(max, queries[c].sentence).toBeLessThan(-100);
    }
  });
});
