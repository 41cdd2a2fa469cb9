import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resampleLabels } from '../../../functions/lib/resample/resample.js';
import { indexToPoint, type Vec3 } from '../../../functions/lib/geometry/volume.js';
import { writePhantom } from '../../../functions/tools/phantom/write-phantom.js';
import { MEDALS_STAGE_DEFAULTS } from '../../../functions/lib/medal-s/index.js';
import { preprocessImage } from '../../../functions/steps/preprocess/preprocess.js';
import { readImageInput } from '../../../functions/lib/image/read-input.js';
import { restoreLabels } from '../../../functions/lib/resample/restore-labels.js';
import { existsSync, readFileSync } from 'node:fs';
import { loadCaseRequest } from '../../../functions/lib/case/case-request-file.js';
import { handler } from '../../../functions/steps/preprocess/handler.js';
import { readVolume } from '../../../functions/lib/image/volume-store.js';
import { tempDir } from '../../helpers/tmp.js';
import { dice } from '../../helpers/dice.js';
import { ensureModel } from '../../../models/generate/index.js';
import { LUNG_LABELS, writeChestPhantom } from '../../helpers/chest-phantom.js';

const organs = ['Liver', 'Spleen', 'Left kidney', 'Right kidney', 'Aorta'];
const prompts = organs.map((text, i) => ({ value: i + 1, text }));
const grid = { patch: [48, 48, 24] as Vec3, targetSpacing: [1.5, 1.5, 3] as Vec3 };

describe('preprocess', () => {
  const dir = tempDir();

  it('resolves prompts, scales CT to 0..255 and resamples onto a stage-1 grid over the same box', async () => {
    const w = await writePhantom(path.join(dir, 'a'), { size: [64, 64, 24], seed: 2 });
    const input = await readImageInput(w.files.image);
    const { record, scaled, stage1 } = await preprocessImage(input, { prompts }, grid);
    expect(record.modality).toEqual({ modality: 'CT', source: 'image' });
    expect(record.prompts.map((p) => p.classKey)).toEqual(organs.map((o) => `CT_${o}`));
    // Five soft-tissue organs: one pass, the soft-tissue window (-160..240 HU).
    expect(record.intensity).toHaveLength(1);
    expect(record.intensity[0]).toMatchObject({
      method: 'ct-window',
      group: 'soft-tissue',
      source: 'tissue-group',
      low: -160,
      high: 240,
      values: [1, 2, 3, 4, 5],
    });
    expect(record.passes).toBeUndefined();
    expect(Math.min(...scaled.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...scaled.data)).toBeLessThanOrEqual(255);
    expect(stage1.size).toEqual(record.stage1.geometry.size);
    // Same physical box: the outer corner of the last voxel coincides.
    const g = input.volume.geometry;
    const p = indexToPoint(g, [g.size[0] - 0.5, g.size[1] - 0.5, g.size[2] - 0.5]);
    const s = stage1.geometry;
    const q = indexToPoint(s, [s.size[0] - 0.5, s.size[1] - 0.5, s.size[2] - 0.5]);
    for (let a = 0; a < 3; a++) expect(q[a]).toBeCloseTo(p[a], 6);
    expect(s.direction).toEqual(g.direction);
  });

  it('scales a raw CT once per tissue group of the prompts, each exactly by its window', async () => {
    const chest = await writeChestPhantom(path.join(dir, 'chest'), { size: [48, 48, 24], seed: 5 });
    const input = await readImageInput(chest.image);
    const groups = [
      { value: 1, text: 'liver' },
      { value: 2, text: 'vertebrae L1' },
      { value: 3, text: 'left lung' },
      { value: 4, text: 'spleen' },
      { value: 5, text: 'trachea' },
    ];
    const result = await preprocessImage(input, { prompts: groups }, grid);
    const { record } = result;
    // Soft tissue first, then lung, then bone; each pass its own prompts in prompt order.
    expect(record.intensity.map((p) => [p.group, p.source, p.low, p.high, p.values])).toEqual([
      ['soft-tissue', 'tissue-group', -160, 240, [1, 4]],
      ['lung', 'tissue-group', -1350, 150, [3, 5]],
      ['bone', 'tissue-group', -500, 1300, [2]],
    ]);
    expect(record.passes).toHaveLength(2);
    expect(result.passes).toHaveLength(2);
    // The network input of each pass, voxel by voxel, against the window formula in float64.
    const hu = input.volume.data;
    const images = [result.scaled, ...result.passes!.map((p) => p.scaled)];
    record.intensity.forEach((pass, k) => {
      const { low, high } = pass as { low: number; high: number };
      const data = images[k].data;
      for (let i = 0; i < hu.length; i++) {
        const expected = Math.fround(((Math.min(high, Math.max(low, hu[i])) - low) / (high - low)) * 255);
        if (data[i] !== expected) expect(data[i], `${pass.group} voxel ${i}`).toBe(expected);
      }
    });
    // Painted lung voxels: black under the soft-tissue window, grey under the lung window.
    const lung = chest.labels.data.findIndex((v) => v === LUNG_LABELS.left);
    expect(result.scaled.data[lung]).toBe(0);
    expect(result.passes![0].scaled.data[lung]).toBeGreaterThan(60);
    // Each pass has its own stage-1 volume on its own plan's grid.
    const planned = [record.stage1, ...record.passes!.map((p) => p.stage1)];
    const stage1 = [result.stage1, ...result.passes!.map((p) => p.stage1)];
    planned.forEach((p, k) => expect(stage1[k].size).toEqual(p.geometry.size));
  });

  it('a window the request gives applies to every prompt of a raw CT, and only to a raw CT', async () => {
    const w = await writePhantom(path.join(dir, 'w'), { size: [32, 32, 16], seed: 6 });
    const ct = await readImageInput(w.files.image);
    const window = { level: -600, width: 1500 };
    const mixed = [
      { value: 1, text: 'liver' },
      { value: 2, text: 'left lung' },
    ];
    const { record, passes } = await preprocessImage(ct, { prompts: mixed, options: { window } }, grid);
    expect(record.intensity).toEqual([
      expect.objectContaining({ group: null, source: 'request', low: -1350, high: 150, values: [1, 2] }),
    ]);
    expect(passes).toBeUndefined();
    const mri = await writePhantom(path.join(dir, 'w-mri'), { size: [32, 32, 16], modality: 'MRI' });
    await expect(
      preprocessImage(
        await readImageInput(mri.files.image),
        { prompts, modality: 'MRI', options: { window } },
        grid,
      ),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/the case is MRI/) });
    const { record: plain } = await preprocessImage(
      await readImageInput(mri.files.image),
      { prompts, modality: 'MRI' },
      grid,
    );
    expect(plain.intensity).toEqual([
      expect.objectContaining({ group: null, source: 'modality', method: 'percentile-minmax' }),
    ]);
  });

  it.each([
    ['default anisotropic', [0.8, 0.8, 2.5]],
    ['isotropic', [1, 1, 1]],
    ['thin-slice', [0.9, 0.9, 0.6]],
    ['sub-millimetre', [0.5, 0.5, 0.7]],
  ] as const)(
    '%s phantom: labels survive preprocess grid -> restore (stage-2 grid)',
    async (_label, spacing) => {
      const w = await writePhantom(path.join(dir, _label), {
        size: [64, 64, 32],
        spacing: [...spacing],
        seed: 4,
      });
      const input = await readImageInput(w.files.labels);
      const stage2 = MEDALS_STAGE_DEFAULTS[2];
      const { record } = await preprocessImage(
        input,
        { prompts, modality: 'MRI' },
        {
          patch: [...stage2.patch] as Vec3,
          targetSpacing: [...stage2.targetSpacing] as Vec3,
        },
      );
      const labels = w.phantom.labels;
      const working = resampleLabels(labels, record.stage1.geometry);
      const back = restoreLabels(working, labels.geometry);
      expect(back.geometry).toEqual(labels.geometry);
      for (let v = 1; v <= 6; v++)
        expect(dice(back.data, labels.data, v), `label ${v}`).toBeGreaterThanOrEqual(0.97);
    },
  );

  it('the handler reads a phantom case.json (relative paths) and writes only references and files', async () => {
    const w = await writePhantom(path.join(dir, 'case'), { size: [48, 48, 20], seed: 3 });
    const request = await loadCaseRequest(w.files.request);
    expect(request.image).toBe(w.files.image);
    const out = await handler({ request: { ...request, model: await ensureModel('phantom') } });
    expect(out.preprocess).toBe(path.join(w.dir, 'output', 'preprocess.json'));
    const record = JSON.parse(readFileSync(out.preprocess, 'utf8'));
    expect(record.prompts).toHaveLength(5);
    expect(record.model.name).toBe('phantom');
    for (const file of Object.values(record.files) as string[]) expect(existsSync(file), file).toBe(true);
    const stage1 = await readVolume(record.files.stage1);
    expect(stage1.size).toEqual(record.stage1.geometry.size);
    expect(JSON.stringify(out).length).toBeLessThan(4096);
  });

  it('the handler never generates a model: without one in the request or MEDALS_MODEL it refuses', async () => {
    const w = await writePhantom(path.join(dir, 'no-model'), { size: [24, 24, 8], seed: 4 });
    const request = await loadCaseRequest(w.files.request);
    const saved = process.env.MEDALS_MODEL;
    delete process.env.MEDALS_MODEL;
    try {
      await expect(handler({ request })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/names no model and MEDALS_MODEL is not set/),
      });
    } finally {
      if (saved !== undefined) process.env.MEDALS_MODEL = saved;
    }
    expect(existsSync(path.join(w.dir, 'output', 'preprocess.json'))).toBe(false);
  });

  it('the handler refuses a request without an image with INVALID_INPUT', async () => {
    await expect(handler({ request: { prompts: ['liver'], output: dir } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/'image'/),
    });
  });
});
