import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  float16ToFloat32,
  float32ToFloat16,
  fromFloat16Bits,
  toFloat16Bits,
} from '../../../functions/lib/model/float16.js';
import { loadModel } from '../../../functions/steps/segment/model-loader.js';
import { sha256 } from '../../../functions/lib/core/hash.js';
import { generateModel } from '../../../models/generate/index.js';
import { type Dim, type ElemType, GraphBuilder, attr } from '../../../models/onnx/graph-builder.js';
import { availableExecutionProviders } from '../../../functions/steps/segment/onnx-session.js';

const dirs: string[] = [];
let phantom: string;
let conv: string;

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'medals-loader-'));
  dirs.push(d);
  return d;
}

beforeAll(async () => {
  phantom = (await generateModel('phantom', await tempDir())).dir;
  conv = (await generateModel('conv', await tempDir())).dir;
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function copyOf(dir: string): Promise<string> {
  const d = await tempDir();
  await cp(dir, d, { recursive: true });
  return d;
}

/** Replace a file and give the manifest its new hash, so that only the graph check can fail. */
async function replaceFile(dir: string, file: string, bytes: Uint8Array): Promise<void> {
  const manifestPath = join(dir, 'manifest.json');
  const before = sha256(await readFile(join(dir, file)));
  await writeFile(join(dir, file), bytes);
  const text = await readFile(manifestPath, 'utf8');
  await writeFile(manifestPath, text.split(before).join(sha256(bytes)));
}

interface StubOptions {
  patch?: [number, number, number];
  width?: number;
  names?: Partial<Record<'queries' | 'image' | 'sc_prompt' | 'mc_prompt' | 'logits', string>>;
  imageDtype?: ElemType;
  n?: Dim;
}

/** A stage graph with the contract's I/O (or a deliberate deviation) and trivial insides. */
function stubStage(o: StubOptions = {}): Uint8Array {
  const [H, W, D] = o.patch ?? [48, 48, 24];
  const n = o.n ?? 'N';
  const name = (k: keyof NonNullable<StubOptions['names']>) => o.names?.[k] ?? k;
  const g = new GraphBuilder('stub');
  const q = g.input(name('queries'), 'float32', [n, o.width ?? 16]);
  const image = g.input(name('image'), o.imageDtype ?? 'float32', [1, 1, H, W, D]);
  const sc = g.input(name('sc_prompt'), 'float32', [1, 1, H, W, D]);
  const mc = g.input(name('mc_prompt'), 'float32', [1, n, H, W, D]);
  const imageF =
    o.imageDtype && o.imageDtype !== 'float32' ? g.node('Cast', [image], { to: attr.int(1) })[0] : image;
  const sums = [q, imageF, sc].map((x) => g.node('ReduceSum', [x], { keepdims: attr.int(0) })[0]);
  const [s1] = g.node('Add', [sums[0], sums[1]]);
  const [s2] = g.node('Add', [s1, sums[2]]);
  const [z] = g.node('Mul', [s2, g.initializer('zero', { dtype: 'float32', dims: [], data: [0] })]);
  g.node('Add', [mc, z], {}, { outputs: [name('logits')] });
  g.output(name('logits'), 'float32', [1, n, H, W, D]);
  return g.toBytes();
}

async function contractProblems(dir: string): Promise<string> {
  try {
    const m = await loadModel(dir, { device: 'cpu' });
    await m.release();
  } catch (e) {
    expect(e).toMatchObject({ code: 'MODEL_CONTRACT', name: 'MODEL_CONTRACT' });
    return (e as Error).message;
  }
  throw new Error('the model loaded but should not have');
}

describe('float16 conversion', () => {
  it('rounds to nearest even and round-trips every float16 value', () => {
    expect([1, -2, 65504, 65520, 2 ** -24, 2 ** -25, 1 / 3, 0.1, -0].map(toFloat16Bits)).toEqual([
      0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x3555, 0x2e66, 0x8000,
    ]);
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie -> even (up)
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && h & 0x3ff) continue; // NaN payloads
      if (toFloat16Bits(fromFloat16Bits(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });
});

describe('loadModel', () => {
  it('loads both generated models and reports what the manifest and the graphs say', async () => {
    const m = await loadModel(phantom, { device: 'cpu' });
    try {
      expect(m.name).toBe('phantom');
      expect(m.embeddingWidth).toBe(16);
      expect(m.executionProvider).toBe('cpu');
      expect(m.warnings).toEqual([]);
      const s1 = m.stage(1);
      expect([s1.patch, s1.targetSpacing, s1.axisOrder, s1.dtype]).toEqual([
        [48, 48, 24],
        [1.5, 1.5, 3],
        'HWD',
        'float32',
      ]);
      expect(s1.io.mc_prompt).toEqual({ dtype: 'float32', shape: [1, 'N', 48, 48, 24] });
      expect(m.stage(2).patch).toEqual([48, 48, 48]);
      expect(m.files.map((f) => f.role)).toEqual([
        'stages.1.onnx',
        'stages.2.onnx',
        'text.encoder.onnx',
        'text.encoder.tokenizer.vocabulary',
        'text.embeddings.file',
      ]);
      expect(m.text.table?.size).toBe(10);
      expect(m.tokenizer?.tokenize('Liver in abdominal CT')).toEqual(['liver', 'in', 'abdominal', 'ct']);
    } finally {
      await m.release();
    }
    const c = await loadModel(conv, { device: 'cpu', stages: [1] });
    try {
      expect(c.embeddingWidth).toBe(32);
      expect(c.stage(1).patch).toEqual([32, 32, 16]);
      expect(c.stages[2]).toBeUndefined();
      expect(() => c.stage(2)).toThrow(/has no stage 2 open/);
      expect(c.text.table?.size).toBe(10);
    } finally {
      await c.release();
    }
  });

  it('fails with MODEL_CONTRACT naming a missing file', async () => {
    const dir = await copyOf(phantom);
    await rm(join(dir, 'stage2.onnx'));
    expect(await contractProblems(dir)).toBe(`model folder ${dir}: stage2.onnx (stages.2.onnx) is missing`);
  });

  it('fails with MODEL_CONTRACT naming a hash mismatch', async () => {
    const dir = await copyOf(phantom);
    const vocab = join(dir, 'vocab.txt');
    const expected = sha256(await readFile(vocab));
    await appendFile(vocab, 'extra\n');
    const actual = sha256(await readFile(vocab));
    expect(await contractProblems(dir)).toBe(
      `model folder ${dir}: vocab.txt (text.encoder.tokenizer.vocabulary) has sha256 ${actual}, the manifest says ${expected}`,
    );
  });

  it('fails with MODEL_CONTRACT naming a wrong input name', async () => {
    const dir = await copyOf(phantom);
    await replaceFile(dir, 'stage1.onnx', stubStage({ names: { image: 'img' } }));
    const message = await contractProblems(dir);
    expect(message).toContain(
      "stage 1 graph stage1.onnx: input 'image' is missing (the graph's inputs are 'queries', 'img', 'sc_prompt', 'mc_prompt')",
    );
    expect(message).toContain("stage 1 graph stage1.onnx: unexpected input 'img'");
  });

  it('fails with MODEL_CONTRACT naming a wrong dtype', async () => {
    const dir = await copyOf(phantom);
    await replaceFile(dir, 'stage2.onnx', stubStage({ patch: [48, 48, 48], imageDtype: 'float64' }));
    expect(await contractProblems(dir)).toBe(
      `model folder ${dir}: stage 2 graph stage2.onnx: input 'image' has dtype float64, the contract wants float32`,
    );
  });

  it('fails with MODEL_CONTRACT naming a wrong shape (patch mismatch, fixed N, wrong E)', async () => {
    const dir = await copyOf(phantom);
    await replaceFile(dir, 'stage1.onnx', stubStage({ patch: [48, 48, 16] }));
    const message = await contractProblems(dir);
    expect(message).toContain(
      "input 'image' has shape [1, 1, 48, 48, 16], the contract wants [1, 1, 48, 48, 24]: dimension 4 (D) is 16, not 24",
    );
    expect(message).toContain(
      "output 'logits' has shape [1, N, 48, 48, 16], the contract wants [1, N, 48, 48, 24]",
    );

    const fixedN = await copyOf(phantom);
    await replaceFile(fixedN, 'stage1.onnx', stubStage({ n: 5, width: 8 }));
    const m2 = await contractProblems(fixedN);
    expect(m2).toContain(
      "input 'queries' has shape [5, 8], the contract wants [N, 16]: dimension 0 (N) is fixed at 5; it must be dynamic; dimension 1 (E) is 8, not 16",
    );
  });

  it('fails with MODEL_CONTRACT for a bad or missing manifest, NOT_FOUND for no folder', async () => {
    const dir = await copyOf(conv);
    const manifestPath = join(dir, 'manifest.json');
    const m = JSON.parse(await readFile(manifestPath, 'utf8'));
    m.embeddingWidth = 0;
    await writeFile(manifestPath, JSON.stringify(m));
    expect(await contractProblems(dir)).toMatch(
      /manifest\.json does not follow the model contract: embeddingWidth: /,
    );
    await rm(manifestPath);
    expect(await contractProblems(dir)).toBe(
      `${dir} is not a model folder: it has no manifest.json (models/README.md describes one)`,
    );
    await expect(loadModel(join(dir, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('fails with MODEL_CONTRACT when the embedding table does not fit E', async () => {
    const dir = await copyOf(phantom);
    const table = JSON.parse(await readFile(join(dir, 'embeddings.json'), 'utf8'));
    table.entries[3].vector.pop();
    await replaceFile(dir, 'embeddings.json', new TextEncoder().encode(JSON.stringify(table)));
    expect(await contractProblems(dir)).toContain(
      "embeddings.json: entry 3 ('Right kidney in abdominal CT', CT) has 15 values, not 16",
    );
  });

  it('accepts float16 stage graphs and records their dtype', async () => {
    const dir = (await generateModel('phantom', await tempDir(), { stageDtype: 'float16' })).dir;
    const m16 = await loadModel(dir, { device: 'cpu' });
    const m32 = await loadModel(phantom, { device: 'cpu' });
    try {
      const s = m16.stage(1);
      expect(s.dtype).toBe('float16');
      expect(s.io.image.dtype).toBe('float16');
      expect(s.io.logits).toEqual({ dtype: 'float16', shape: [1, 'N', 48, 48, 24] });
      // Same numbers as the float32 graph up to float16 rounding.
      const [H, W, D] = s.patch;
      const V = H * W * D;
      const q = (await m32.text.embed([{ sentence: 'Liver in abdominal CT', modality: 'CT' }])).data;
      const image = Float32Array.from({ length: V }, (_, i) => 120 + 40 * Math.sin(i / 97));
      const zeros = new Float32Array(V);
      const out32 = await m32.stage(1).session.run({
        queries: new ort.Tensor('float32', q, [1, 16]),
        image: new ort.Tensor('float32', image, [1, 1, H, W, D]),
        sc_prompt: new ort.Tensor('float32', zeros, [1, 1, H, W, D]),
        mc_prompt: new ort.Tensor('float32', zeros, [1, 1, H, W, D]),
      });
      const f16 = (a: Float32Array, dims: number[]) => new ort.Tensor('float16', float32ToFloat16(a), dims);
      const out16 = await s.session.run({
        queries: f16(q, [1, 16]),
        image: f16(image, [1, 1, H, W, D]),
        sc_prompt: f16(zeros, [1, 1, H, W, D]),
        mc_prompt: f16(zeros, [1, 1, H, W, D]),
      });
      const a = out32.logits.data as Float32Array;
      const b = float16ToFloat32(out16.logits.data as Uint16Array);
      let worst = 0;
      for (let i = 0; i < V; i++)
        worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(a[i])));
      expect(worst).toBeLessThan(0.05);
    } finally {
      await m16.release();
      await m32.release();
    }
    // A float16 graph under a manifest that says float32 is a contract error.
    const mixed = await copyOf(phantom);
    await replaceFile(mixed, 'stage1.onnx', await readFile(join(dir, 'stage1.onnx')));
    expect(await contractProblems(mixed)).toContain(
      "stage 1 graph stage1.onnx: input 'queries' has dtype float16, the contract wants float32",
    );
  });

  it.skipIf(availableExecutionProviders().includes('cuda'))(
    'warns when CUDA is asked for but absent',
    async () => {
      const m = await loadModel(conv, { device: 'cuda' });
      try {
        expect(m.executionProvider).toBe('cpu');
        expect(m.warnings[0]).toMatch(/^CUDA was asked for but is not usable here; running on the CPU/);
      } finally {
        await m.release();
      }
    },
  );
});
