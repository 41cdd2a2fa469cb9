/**
 * Two stages vs stage 1 alone (issue 7): a 24-class case with the `conv` model on the CPU, the
 * whole segment engine (segmentImage: text embedding, stage 1 over the stage-1 grid, then stage
 * 2 on the ROI stage 1 found, with self-refinement's two passes per window), side by side in
 * one run: wall time and forward passes per stage. The conv model's weights are random, so the
 * labels mean nothing; the work per window is what the real model's graphs would be asked for.
 * Prints a table; asserts only the passes-per-window rule.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { workingGeometry } from '../../functions/lib/resample/resample.js';
import type { Vec3 } from '../../functions/lib/geometry/volume.js';
import { loadModel } from '../../functions/steps/segment/model-loader.js';
import {
  type SegmentPrompt,
  type SegmentResult,
  segmentImage,
} from '../../functions/steps/segment/segment.js';
import { generateModel } from '../../models/generate/index.js';
import { geometry, volumeOf } from '../helpers/geometry.js';

const CLASSES = 24;
/** The scaled image on its original grid (x, y, z) and spacing: about 96 x 96 x 72 mm. */
const SIZE: Vec3 = [96, 96, 48];
const SPACING: Vec3 = [1, 1, 1.5];
/** The stage-1 grid: the conv model's 1.5, 1.5, 3 mm over the same box. */
const STAGE1: Vec3 = [64, 64, 24];

describe('two-stage benchmark', () => {
  it(`${CLASSES} classes, conv model: two stages vs stage 1 alone`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medals-stages-bench-'));
    try {
      await generateModel('conv', dir);
      const model = await loadModel(dir, { device: 'cpu' });
      try {
        const grid = geometry(SIZE, SPACING);
        // A smooth field: the random network then answers with large connected regions.
        const scaled = volumeOf(
          'float32',
          grid,
          (i, j, k) => 128 + 100 * Math.sin(i / 9) * Math.cos(j / 11) * Math.sin(k / 7 + 1),
        );
        const stage1Image = volumeOf(
          'float32',
          workingGeometry(grid, STAGE1),
          (i, j, k) => scaled.data[Math.floor(i * 1.5) + SIZE[0] * (Math.floor(j * 1.5) + SIZE[1] * k * 2)],
        );
        const prompts: SegmentPrompt[] = Array.from({ length: CLASSES }, (_, c) => ({
          value: c + 1,
          name: `class ${c + 1}`,
          sentence: `structure number ${c + 1} in abdominal CT`,
          modality: 'CT',
        }));
        const run = async (stages: (1 | 2)[]) => {
          const t = performance.now();
          const result = await segmentImage(model, prompts, { stage1Image, scaled, stages, seed: 0 });
          return { seconds: (performance.now() - t) / 1000, result };
        };
        await run([1]); // warm-up: sessions' first runs, the text encoder
        const one = await run([1]);
        const two = await run([1, 2]);
        const row = (name: string, r: { seconds: number; result: SegmentResult }) => {
          const stages = r.result.record.stages;
          const passes = stages.map(
            (s) => `stage ${s.stage}: ${s.windows} windows x ${s.passesPerWindow} = ${s.passes}`,
          );
          return `${name.padEnd(22)}${r.seconds.toFixed(2).padStart(8)} s   ${passes.join('; ')}`;
        };
        const stage2 = two.result.record.stages.find((s) => s.stage === 2);
        console.log(
          [
            '',
            `Two stages vs stage 1 alone: ${CLASSES} classes, conv model, CPU; image ${SIZE.join('x')} at ${SPACING.join(', ')} mm, stage-1 grid ${STAGE1.join('x')}`,
            row('stage 1 only', one),
            row('stage 1 + stage 2', two),
            `stage 2 ran on ${stage2?.stage2?.mode ?? '-'} ${stage2 ? stage2.grid.size.join('x') : ''}; two stages take ${(two.seconds / one.seconds).toFixed(2)}x the time of stage 1 alone`,
            '',
          ].join('\n'),
        );
        expect(one.result.record.stages.map((s) => s.passesPerWindow)).toEqual([1]);
        expect(two.result.record.stages.map((s) => s.passesPerWindow)).toEqual([1, 2]);
      } finally {
        await model.release();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
