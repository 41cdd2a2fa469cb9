/**
 * Hybrid mode (issue 7): user masks as stage-2 spatial prompts in place of stage 1's prediction
 * of the classes they contain. Oracles: a text-only run's own stage-1 map fed back as the mask
 * must give the text-only result again (same seed); a mask that says otherwise must move the
 * output inside the region it prompts; bad masks fail with named errors before any output.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { caseFile } from '../../../functions/lib/case/case-files.js';
import { MedalsError } from '../../../functions/lib/core/errors.js';
import { writeChallengeNpz } from '../../../functions/lib/image/npz/index.js';
import { storageFor } from '../../../functions/lib/storage/index.js';
import { Volume, sameGeometry } from '../../../functions/lib/geometry/volume.js';
import { readVolume, writeVolume } from '../../../functions/lib/image/volume-store.js';
import { writePhantom } from '../../../functions/tools/phantom/write-phantom.js';
import { handler as preprocess } from '../../../functions/steps/preprocess/handler.js';
import type { PreprocessRecord } from '../../../functions/steps/preprocess/record.js';
import { readUserMask } from '../../../functions/lib/image/user-mask.js';
import { restoreLabels } from '../../../functions/lib/resample/restore-labels.js';
import { mergeUserMask } from '../../../functions/steps/segment/hybrid.js';
import { type LoadedModel, loadModel } from '../../../functions/steps/segment/model-loader.js';
import { ensureModel } from '../../../models/generate/index.js';
import { segmentImage } from '../../../functions/steps/segment/segment.js';
import { runSegmentCase } from '../../../workflows/segment-case.js';
import { dice } from '../../helpers/dice.js';
import { geometry } from '../../helpers/geometry.js';
import { tempDir } from '../../helpers/tmp.js';

const PROMPTS = ['liver', 'spleen', 'left kidney', 'right kidney', 'aorta'];

async function expectError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(MedalsError);
  expect((error as MedalsError).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe('mergeUserMask', () => {
  it('replaces the masked classes of stage 1 and keeps the others', () => {
    const g = geometry([6, 1, 1]);
    const stage1 = new Volume<'int32'>(g, Int32Array.of(1, 1, 2, 2, 0, 3));
    const mask = { labels: new Volume<'int32'>(g, Int32Array.of(0, 0, 0, 1, 1, 0)), values: [1] };
    const { labels, record } = mergeUserMask(stage1, mask);
    // stage-1 class 1 dropped (voxels 0, 1), mask's class 1 painted (3, 4), classes 2 and 3 kept.
    expect(Array.from(labels.data)).toEqual([0, 0, 2, 1, 1, 3]);
    expect(record).toEqual({ maskValues: [1], maskVoxels: 2, replacedStage1Voxels: 2 });
    expect(Array.from(mergeUserMask(null, mask).labels.data)).toEqual([0, 0, 0, 1, 1, 0]);
  });
});

describe('hybrid mode on the phantom', () => {
  const dir = tempDir('medals-hybrid-');
  let image: string;
  let truth: Volume;
  let model: string;

  beforeAll(async () => {
    const w = await writePhantom(path.join(dir, 'phantom'), { seed: 4 });
    image = w.files.image;
    truth = w.phantom.labels;
    model = await ensureModel('phantom');
  });

  it("the text-only run's stage-1 map fed back as the mask gives the text-only result (DSC >= 0.98)", async () => {
    const textOnly = path.join(dir, 'text-only');
    const first = await runSegmentCase({
      request: { image, prompts: PROMPTS, output: textOnly, model, options: { seed: 7, stage1Labels: true } },
    });
    expect(first.status).toBe('SUCCEEDED');
    const stage1Map = caseFile(textOnly, 'stage1Labels');
    const stage1Labels = await readVolume(stage1Map);
    // The image grid, to NIfTI's precision (its quaternion direction rounds at 1e-9).
    expect(sameGeometry(stage1Labels.geometry, (await readVolume(image)).geometry, 1e-6)).toBe(true);

    const hybrid = path.join(dir, 'hybrid');
    const second = await runSegmentCase({
      request: { image, prompts: PROMPTS, mask: stage1Map, output: hybrid, model, options: { seed: 7 } },
    });
    expect(second.status).toBe('SUCCEEDED');
    const a = await readVolume(caseFile(textOnly, 'seg'));
    const b = await readVolume(caseFile(hybrid, 'seg'));
    for (let v = 1; v <= 5; v++) expect(dice(b.data, a.data, v), `label ${v}`).toBeGreaterThanOrEqual(0.98);

    const record = await storageFor(caseFile(hybrid, 'segment')).readJson<{
      skipped: { stage: number }[];
      stages: { stage: number; stage2?: { hybrid?: { maskValues: number[] } } }[];
    }>(caseFile(hybrid, 'segment'));
    // Stage 1 found all five organs, so the mask prompts every class and stage 1 is skipped.
    expect(record.skipped.map((s) => s.stage)).toEqual([1]);
    expect(record.stages.map((s) => s.stage)).toEqual([2]);
    expect(record.stages[0].stage2?.hybrid?.maskValues).toEqual([1, 2, 3, 4, 5]);
    const pre = await storageFor(caseFile(hybrid, 'preprocess')).readJson<PreprocessRecord>(
      caseFile(hybrid, 'preprocess'),
    );
    expect(pre.mask).toEqual({ uri: stage1Map, values: [1, 2, 3, 4, 5] });
  });

  describe('a mask that disagrees with stage 1', () => {
    let loaded: LoadedModel;
    let record: PreprocessRecord & { files: { stage1: string; scaled: string } };
    let stage1: Volume<'float32'>;
    let scaled: Volume<'float32'>;

    beforeAll(async () => {
      loaded = await loadModel(model, { device: 'cpu' });
      const pre = await preprocess({
        request: { image, prompts: PROMPTS, output: path.join(dir, 'direct'), model },
      });
      record = await storageFor(pre.preprocess).readJson(pre.preprocess);
      stage1 = (await readVolume(record.files.stage1)) as Volume<'float32'>;
      scaled = (await readVolume(record.files.scaled)) as Volume<'float32'>;
    });

    it('moves the output inside the region it prompts and leaves unmasked classes on the text path', async () => {
      // The liver grown by two voxels in-plane (value 1): the mask prompts liver beyond its edge.
      const [nx, ny, nz] = truth.size;
      const maskData = new Int32Array(truth.data.length);
      for (let z = 0; z < nz; z++)
        for (let y = 0; y < ny; y++)
          for (let x = 0; x < nx; x++) {
            let near = false;
            for (let dy = -2; dy <= 2 && !near; dy++)
              for (let dx = -2; dx <= 2 && !near; dx++) {
                const xx = x + dx;
                const yy = y + dy;
                near = xx >= 0 && yy >= 0 && xx < nx && yy < ny && truth.data[xx + nx * (yy + ny * z)] === 1;
              }
            if (near) maskData[x + nx * (y + ny * z)] = 1;
          }
      const mask = { labels: new Volume<'int32'>(truth.geometry, maskData), values: [1] };
      const run = (userMask?: typeof mask) =>
        segmentImage(loaded, record.prompts, {
          stage1Image: stage1,
          scaled,
          seed: 3,
          ...(userMask ? { userMask } : {}),
        });
      const [plain, hybrid] = [await run(), await run(mask)];
      const geometry = record.input.geometry;
      const a = restoreLabels(plain.labels, geometry).data;
      const b = restoreLabels(hybrid.labels, geometry).data;
      // The phantom model adds +2 x blur(mc) - blur(sc) to its logits, which moves ambiguous
      // voxels only: inside the mask the output changes, more towards liver than away, and the
      // liver grows into the ring the mask adds around it.
      let toLiver = 0;
      let fromLiver = 0;
      let ringBefore = 0;
      let ringAfter = 0;
      for (let i = 0; i < maskData.length; i++) {
        if (maskData[i] === 0) continue;
        if (a[i] !== 1 && b[i] === 1) toLiver++;
        if (a[i] === 1 && b[i] !== 1) fromLiver++;
        if (truth.data[i] !== 1) {
          if (a[i] === 1) ringBefore++;
          if (b[i] === 1) ringAfter++;
        }
      }
      expect(toLiver + fromLiver).toBeGreaterThanOrEqual(100);
      expect(toLiver).toBeGreaterThan(fromLiver);
      expect(ringAfter).toBeGreaterThan(ringBefore * 1.1);
      // Stage 1 still ran for the classes the mask lacks; the kidneys stay as the text path has them.
      expect(hybrid.record.stages.map((s) => s.stage)).toEqual([1, 2]);
      for (const v of [3, 4]) expect(dice(b, a, v), `label ${v}`).toBeGreaterThanOrEqual(0.95);
    });
  });

  it('refuses bad masks with named errors, before writing anything', async () => {
    const phantom = await readVolume(image);
    const prompts = PROMPTS.map((text, i) => ({ value: i + 1, text }));
    const target = { geometry: phantom.geometry, prompts };
    const write = async (name: string, volume: Volume) => {
      const file = path.join(dir, 'bad', name);
      await writeVolume(volume, file);
      return file;
    };
    const shifted = await write(
      'shifted.nii.gz',
      new Volume(
        {
          ...truth.geometry,
          origin: [truth.geometry.origin[0] + 5, ...truth.geometry.origin.slice(1)] as never,
        },
        truth.data,
      ),
    );
    await expectError(readUserMask(shifted, target), 'INVALID_INPUT', /not on the image's grid/);
    const stray = Int16Array.from(truth.data); // body (6) has no prompt
    stray[0] = 9;
    const strayFile = await write('stray.nii.gz', new Volume(truth.geometry, stray));
    await expectError(
      readUserMask(strayFile, target),
      'INVALID_INPUT',
      /label values? 6, 9 that no prompt has/,
    );
    const empty = await write('empty.nii.gz', new Volume(truth.geometry, new Uint8Array(truth.data.length)));
    await expectError(readUserMask(empty, target), 'INVALID_INPUT', /no labelled voxel/);
    const half = await write(
      'half.nii.gz',
      new Volume(truth.geometry, new Float32Array(truth.data.length).fill(0.5)),
    );
    await expectError(readUserMask(half, target), 'INVALID_INPUT', /integer label values, found 0.5/);
    const npz = path.join(dir, 'bad', 'mask.npz');
    await storageFor(npz).write(
      npz,
      writeChallengeNpz({
        segs: new Volume<'int16'>(truth.geometry, Int16Array.from(truth.data)),
        spacing: [1, 1, 1],
      }),
    );
    await expectError(
      readUserMask(npz, target),
      'UNSUPPORTED_FORMAT',
      /npz mask goes with a challenge npz image/,
    );
    await expectError(
      readUserMask(npz, { ...target, npzShape: [3, 4, 5] }),
      'INVALID_INPUT',
      /mask array has shape \(\d+, \d+, \d+\) but the image \(D, H, W\) is \(3, 4, 5\)/,
    );

    // Through the workflow: the case fails in Preprocess, error.json says why, no seg.* appears.
    const out = path.join(dir, 'refused');
    const result = await runSegmentCase({
      request: { image, prompts: PROMPTS, mask: shifted, output: out, model },
    });
    expect(result.status).toBe('FAILED');
    const error = await storageFor(caseFile(out, 'error')).readJson<{ code: string; failedState: string }>(
      caseFile(out, 'error'),
    );
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.failedState).toBe('Preprocess');
    expect(existsSync(caseFile(out, 'seg'))).toBe(false);
    expect(existsSync(caseFile(out, 'preprocess'))).toBe(false);
  });
});
