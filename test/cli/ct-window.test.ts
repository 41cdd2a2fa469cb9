/**
 * The CT window per tissue group of the prompts (lib/medal-s ct-windows.ts, medals' rule) through
 * `medals segment`, on a CT the tests make: the phantom with two lungs painted in
 * (test/helpers/chest-phantom.ts). The generated phantom model finds the lungs by their
 * intensity on the lung-windowed image only, so the label map is the oracle of which image each
 * prompt reached: lungs found (Dice against the painted lungs) when they got the lung window,
 * not found when `--window` forces the soft-tissue one (lungs and air both 0 there).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readVolumeFile } from '../../functions/lib/image/image-io.js';
import type { Volume } from '../../functions/lib/geometry/volume.js';
import { writePhantom } from '../../functions/tools/phantom/write-phantom.js';
import { LUNG_LABELS, writeChestPhantom } from '../helpers/chest-phantom.js';
import { runCli } from '../helpers/cli-io.js';
import { dice } from '../helpers/dice.js';
import { tempDir } from '../helpers/tmp.js';

interface Pass {
  group: string | null;
  source: string;
  low: number;
  high: number;
  values: number[];
}

describe('medals segment: the CT window follows the prompts', () => {
  const dir = tempDir();
  let image: string;
  let truth: Volume<'uint8'>;
  const LIVER = 1;
  const prompts = (entries: Record<number, string>) => {
    const file = path.join(dir, `prompts-${Object.keys(entries).join('-')}.json`);
    writeFileSync(file, JSON.stringify(entries));
    return file;
  };
  async function segment(name: string, promptFile: string, ...extra: string[]) {
    const out = path.join(dir, name);
    const r = await runCli('segment', image, '--prompts', promptFile, '--out', out, ...extra);
    expect(r.code, r.stderr).toBe(0);
    const seg = await readVolumeFile(path.join(out, 'seg.nii.gz'));
    const preprocess = JSON.parse(readFileSync(path.join(out, 'preprocess.json'), 'utf8'));
    const segment = JSON.parse(readFileSync(path.join(out, 'segment.json'), 'utf8'));
    return { out, seg, intensity: preprocess.intensity as Pass[], preprocess, segment };
  }

  beforeAll(async () => {
    ({ image, labels: truth } = await writeChestPhantom(dir, { seed: 1 }));
  });

  it('lungs get a lung window (low end at or below -900 HU) and are found', async () => {
    const r = await segment('lungs', prompts({ 7: 'left lung', 8: 'right lung' }));
    expect(r.intensity).toHaveLength(1);
    expect(r.intensity[0]).toMatchObject({ group: 'lung', source: 'tissue-group', values: [7, 8] });
    expect(r.intensity[0].low).toBeLessThanOrEqual(-900);
    expect(r.intensity[0].high).toBeGreaterThan(r.intensity[0].low);
    for (const v of Object.values(LUNG_LABELS))
      expect(dice(r.seg.data, truth.data, v), `lung ${v}`).toBeGreaterThanOrEqual(0.95);
  });

  it('the liver gets the soft-tissue window (-160..240 HU), one pass as before', async () => {
    const r = await segment('liver', prompts({ 1: 'liver' }));
    expect(r.intensity).toEqual([
      expect.objectContaining({
        group: 'soft-tissue',
        source: 'tissue-group',
        low: -160,
        high: 240,
        values: [1],
      }),
    ]);
    expect(r.preprocess.passes).toBeUndefined();
    expect(r.segment.stages.every((s: { pass?: unknown }) => s.pass === undefined)).toBe(true);
    expect(dice(r.seg.data, truth.data, LIVER)).toBeGreaterThanOrEqual(0.9);
  });

  it('a mixed request runs a pass per window, records both and the label map holds both', async () => {
    const r = await segment('mixed', prompts({ 1: 'liver', 7: 'left lung', 8: 'right lung' }));
    expect(r.intensity.map((p) => [p.group, p.low, p.high, p.values])).toEqual([
      ['soft-tissue', -160, 240, [1]],
      ['lung', -1350, 150, [7, 8]],
    ]);
    // The lung pass's own volumes, named after its group, and its own stage-1 plan.
    expect(r.preprocess.files.passes).toEqual([
      {
        scaled: path.join(r.out, 'work', 'scaled-lung.nii'),
        stage1: path.join(r.out, 'work', 'stage1-lung.nii'),
      },
    ]);
    expect(r.preprocess.passes).toHaveLength(1);
    for (const f of Object.values(r.preprocess.files.passes[0]) as string[]) expect(existsSync(f)).toBe(true);
    // segment.json: every stage names its pass; each pass sent only its own classes.
    const stages = r.segment.stages as { stage: number; classesPerPass: number; pass: Pass }[];
    expect(stages.map((s) => [s.stage, s.pass.group, s.classesPerPass])).toEqual(
      expect.arrayContaining([
        [1, 'soft-tissue', 1],
        [1, 'lung', 2],
      ]),
    );
    expect(r.segment.classes.map((c: { value: number }) => c.value)).toEqual([1, 7, 8]);
    expect(dice(r.seg.data, truth.data, LIVER)).toBeGreaterThanOrEqual(0.9);
    for (const v of Object.values(LUNG_LABELS))
      expect(dice(r.seg.data, truth.data, v), `lung ${v}`).toBeGreaterThanOrEqual(0.95);
  });

  it('--window forces one window for every prompt: the soft-tissue one blacks the lungs out', async () => {
    const r = await segment(
      'forced',
      prompts({ 1: 'liver', 7: 'left lung', 8: 'right lung' }),
      '--window',
      '40,400',
    );
    expect(r.intensity).toEqual([
      expect.objectContaining({ group: null, source: 'request', low: -160, high: 240, values: [1, 7, 8] }),
    ]);
    for (const v of Object.values(LUNG_LABELS))
      expect(dice(r.seg.data, truth.data, v), `lung ${v}`).toBeLessThan(0.1);
    // A negative level is a value, not an option.
    const lung = await segment(
      'forced-lung',
      prompts({ 7: 'left lung', 8: 'right lung' }),
      '--window',
      '-600,1500',
    );
    expect(lung.intensity[0]).toMatchObject({ group: null, source: 'request', low: -1350, high: 150 });
  });

  it('refuses a bad --window (USAGE) and a window for an image that is not a raw CT (INVALID_INPUT)', async () => {
    for (const bad of ['40', '40,0', '40,-400', 'a,400', '40,400,1', '40,']) {
      const r = await runCli(
        'segment',
        image,
        '--prompts',
        'liver',
        '--window',
        bad,
        '--out',
        path.join(dir, 'bad'),
      );
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toMatch(/^USAGE: --window /m);
    }
    expect(existsSync(path.join(dir, 'bad'))).toBe(false);
    const mri = await writePhantom(path.join(dir, 'mri'), { modality: 'MRI', size: [32, 32, 16] });
    const out = path.join(dir, 'mri-out');
    const r = await runCli(
      'segment',
      mri.files.image,
      '--prompts',
      'Liver in MRI',
      '--window',
      '40,400',
      '--out',
      out,
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(
      /^INVALID_INPUT: a window \(--window\) applies to a CT/,
    );
    expect(existsSync(path.join(out, 'seg.nii.gz'))).toBe(false);
    expect(existsSync(path.join(out, 'error.json'))).toBe(true);
  });
});
