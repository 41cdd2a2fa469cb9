import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePrompts } from '../../../functions/lib/prompts/resolve.js';
import { manifestSchema, parseManifest } from '../../../functions/lib/model/manifest.js';
import { manifestBytes } from '../../../models/generate/common.js';
import {
  GENERATED_MODELS,
  buildModel,
  ensureModel,
  generateModel,
  generatedModelDir,
  phantomSentences,
} from '../../../models/generate/index.js';
import { sha256 } from '../../../functions/lib/core/hash.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'medals-model-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('manifest schema', () => {
  it('accepts the generated manifests, as written on disk', async () => {
    for (const name of GENERATED_MODELS) {
      const dir = await tempDir();
      await generateModel(name, dir);
      const json = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      const m = parseManifest(json);
      expect(m.name).toBe(name);
      expect(m.stages['1'].axisOrder).toBe('HWD');
      expect(m.stages['2']?.patch).toHaveLength(3);
      expect(m.modalities).toEqual({ CT: 0, MRI: 1, US: 2, PET: 3, Microscopy: 4 });
      // Every file the manifest names is in the folder with that hash.
      const files = (await readdir(dir)).sort();
      expect(files).toContain('manifest.json');
      const stage1 = await readFile(join(dir, m.stages['1'].onnx.path));
      expect(sha256(stage1)).toBe(m.stages['1'].onnx.sha256);
    }
  });

  it('fills the documented defaults (float32 stages, the official tokenizer settings)', () => {
    const m = structuredClone(buildModel('phantom').manifest) as Record<string, unknown> & {
      stages: Record<string, Record<string, unknown>>;
      text: { encoder: { tokenizer: Record<string, unknown> } };
    };
    delete m.stages['1'].dtype;
    const tok = m.text.encoder.tokenizer;
    for (const key of Object.keys(tok)) if (key !== 'type' && key !== 'vocabulary') delete tok[key];
    const parsed = parseManifest(m);
    expect(parsed.stages['1'].dtype).toBe('float32');
    expect(parsed.text.encoder?.tokenizer).toMatchObject({
      lowercase: true,
      stripAccents: true,
      clsToken: '[CLS]',
      sepToken: '[SEP]',
      unkToken: '[UNK]',
      maxLength: 256,
      specialTokens: [],
    });
  });

  it('names every problem with its field path (MODEL_CONTRACT)', () => {
    const good = buildModel('conv').manifest;
    const bad = structuredClone(good) as unknown as {
      stages: Record<string, { patch: unknown; axisOrder: unknown; onnx: { path: string } }>;
      modalities: Record<string, number>;
      text: Record<string, unknown>;
    };
    bad.stages['1'].patch = [32, 32, -16];
    bad.stages['1'].axisOrder = 'DHW';
    bad.stages['2'].onnx.path = '../outside.onnx';
    bad.modalities.MRI = 0;
    let error: unknown;
    try {
      parseManifest(bad, 'manifest.json');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'MODEL_CONTRACT' });
    const problems = (error as { details: { problems: string[] } }).details.problems;
    expect(problems.some((p) => p.startsWith('stages.1.patch.2:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('stages.1.axisOrder:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('stages.2.onnx.path:') && p.includes('relative path'))).toBe(
      true,
    );
    expect(problems.some((p) => p.startsWith('modalities:') && p.includes('distinct'))).toBe(true);

    const noText = structuredClone(good) as unknown as { text: Record<string, unknown> };
    noText.text = {};
    expect(() => parseManifest(noText)).toThrow(
      /text: needs a text encoder, a precomputed embedding table, or both/,
    );
    expect(manifestSchema.safeParse({ ...good, extra: 1 }).success).toBe(false);
  });
});

describe('model generators', () => {
  it('are deterministic: the same bytes on every run', async () => {
    for (const name of GENERATED_MODELS) {
      const a = buildModel(name);
      const b = buildModel(name);
      expect(a.files.map((f) => f.path)).toEqual(b.files.map((f) => f.path));
      a.files.forEach((f, i) => expect(Buffer.compare(f.bytes, b.files[i].bytes)).toBe(0));
      expect(Buffer.compare(manifestBytes(a.manifest), manifestBytes(b.manifest))).toBe(0);
    }
    // Written twice: the second write finds every file identical and rewrites nothing.
    const dir = await tempDir();
    expect((await generateModel('conv', dir)).written.length).toBe(7);
    expect((await generateModel('conv', dir)).written).toEqual([]);
    // Another seed gives other weights.
    const other = buildModel('conv', { seed: 7 });
    expect(sha256(other.files[0].bytes)).not.toBe(sha256(buildModel('conv').files[0].bytes));
  });

  it('ensureModel makes the folder under the package on first use and returns it', async () => {
    const dir = await ensureModel('phantom');
    expect(dir).toBe(generatedModelDir('phantom'));
    const m = parseManifest(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
    expect(m.stages['1'].patch).toEqual([48, 48, 24]);
    expect(await ensureModel('phantom')).toBe(dir);
  });

  it('ensureModel repairs a folder whose files were deleted or changed', async () => {
    const dir = await tempDir();
    expect(await ensureModel('conv', { dir })).toBe(dir);
    const stage1 = await readFile(join(dir, 'stage1.onnx'));
    await rm(join(dir, 'stage1.onnx'));
    await writeFile(join(dir, 'vocab.txt'), 'changed\n');
    await ensureModel('conv', { dir });
    expect(Buffer.compare(await readFile(join(dir, 'stage1.onnx')), stage1)).toBe(0);
    expect((await readFile(join(dir, 'vocab.txt'), 'utf8')).startsWith('[PAD]\n[UNK]\n[CLS]\n[SEP]\n')).toBe(
      true,
    );
  });

  it('uses the sentences resolvePrompts gives for the five organs', () => {
    const expected = (['CT', 'MRI'] as const).flatMap((modality) =>
      resolvePrompts(
        ['Liver', 'Spleen', 'Left kidney', 'Right kidney', 'Aorta'].map((text, i) => ({
          value: i + 1,
          text,
        })),
        { requestModality: modality },
      ).map((p) => p.sentence),
    );
    expect(phantomSentences().map((s) => s.sentence)).toEqual(expected);
  });
});
