/**
 * The export proof (models/export/, issue 7 item 4): models/export/proof.py builds a small random
 * network of Medal S's structure (dynamic-network-architectures PlainConvUNet, cross-attention
 * query decoder, mask embeddings, einsum prompt fusion and head, a tiny text encoder), exports it
 * with the same `export_model` as the real checkpoints, and saves random inputs with PyTorch's
 * outputs. Here the engine must accept the folder (`loadModel`: manifest, hashes, graph I/O
 * contract) and the graphs, run by onnxruntime-node, must give PyTorch's logits and embeddings.
 *
 * Needs a python3 with torch, onnx, onnxruntime, dynamic_network_architectures and numpy
 * (models/export/requirements-export.txt; $MEDALS_PYTHON picks one). Runs only under
 * vitest.export.config.ts (`npm run test:export`, which sets MEDALS_EXPORT_TEST=1); the default
 * config's run skips it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Modality } from '../../functions/lib/case/case-request.js';
import { type LoadedModel, loadModel } from '../../functions/steps/segment/model-loader.js';
import { type NpyData, decodeNpy, findPython } from '../helpers/python.js';

const TOLERANCE = 1e-4;
const MODULES = ['torch', 'onnx', 'onnxruntime', 'numpy', 'dynamic_network_architectures'];
const PROOF = path.resolve('models/export/proof.py');

const enabled = process.env.MEDALS_EXPORT_TEST === '1';
const python = enabled ? findPython(MODULES) : null;
const skipReason = !enabled
  ? 'the export proof runs only with `npm run test:export` (vitest.export.config.ts)'
  : !python
    ? `no python3 imports ${MODULES.join(', ')}: pip install -r models/export/requirements-export.txt ` +
      '(or point MEDALS_PYTHON at a python that has them)'
    : null;
if (enabled && skipReason) console.warn(`skipping test/export/export.test.ts: ${skipReason}`);

interface ParityRun {
  n: number;
  maxAbsDiff: number;
  maxAbsLogit: number;
}
interface ProofReport {
  ok: boolean;
  tol: number;
  maxAbsDiff: number;
  stages: Record<string, ParityRun[]>;
  text: { n: number; maxAbsDiff: number }[];
  exportSeconds: number;
  totalSeconds: number;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= max)) max = d; // NaN propagates as a failure
  }
  return max;
}

describe.skipIf(skipReason !== null)(`export proof (${skipReason ?? 'models/export/proof.py'})`, () => {
  let dir = '';
  let model: LoadedModel | undefined;
  let report: ProofReport;
  const npy = (name: string): { data: NpyData; shape: number[] } =>
    decodeNpy(readFileSync(path.join(dir, 'parity', `${name}.npy`)));

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'medals-export-'));
    const t0 = performance.now();
    const run = spawnSync(python!, [PROOF, '--out', dir, '--n', '1', '3'], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (run.status !== 0) {
      throw new Error(`proof.py failed (${run.status ?? run.signal}):\n${run.stderr}\n${run.stdout}`);
    }
    report = JSON.parse(readFileSync(path.join(dir, 'report.json'), 'utf8')) as ProofReport;
    console.info(
      `proof.py: export ${report.exportSeconds} s, total ${report.totalSeconds} s ` +
        `(wall ${((performance.now() - t0) / 1000).toFixed(1)} s); torch vs onnxruntime (python) ` +
        `max abs diff ${report.maxAbsDiff.toExponential(2)}`,
    );
  }, 660_000);

  afterAll(async () => {
    await model?.release();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('proof.py: PyTorch and python onnxruntime agree for N = 1 and 3 on both stages and the text encoder', () => {
    expect(report.ok).toBe(true);
    for (const key of ['1', '2']) {
      expect(report.stages[key].map((r) => r.n)).toEqual([1, 3]);
      for (const r of report.stages[key]) {
        expect(r.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE);
        expect(r.maxAbsLogit).toBeGreaterThan(0.1); // the logits are not trivially zero
      }
    }
    expect(report.text.length).toBeGreaterThan(0);
    for (const r of report.text) expect(r.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE);
  });

  it("loadModel accepts the exported folder (the engine's contract check)", async () => {
    model = await loadModel(path.join(dir, 'model'), { device: 'cpu' });
    expect(model.name).toBe('medal-s-proof');
    expect(model.embeddingWidth).toBe(32);
    expect(model.stage(1).patch).toEqual([32, 32, 16]);
    expect(model.stage(1).targetSpacing).toEqual([1.5, 1.5, 3.0]);
    expect(model.stage(2).patch).toEqual([32, 32, 32]);
    expect(model.stage(1).io.queries.shape[0]).toEqual(expect.any(String)); // N dynamic
    expect(model.stage(1).io.mc_prompt.shape[1]).toEqual(expect.any(String));
    expect(model.stage(1).io.logits.shape[1]).toEqual(expect.any(String));
    expect(model.warnings).toEqual([]);
    expect(model.files.map((f) => f.role).sort()).toEqual([
      'stages.1.onnx',
      'stages.2.onnx',
      'text.encoder.onnx',
      'text.encoder.tokenizer.vocabulary',
    ]);
    expect(model.modalityIds).toEqual({ CT: 0, MRI: 1, US: 2, PET: 3, Microscopy: 4 });
  });

  for (const stage of [1, 2] as const) {
    for (const n of [1, 3]) {
      it(`stage ${stage}, N = ${n}: onnxruntime-node gives PyTorch's logits within ${TOLERANCE}`, async () => {
        expect(model).toBeDefined();
        const s = model!.stage(stage);
        const prefix = `stage${stage}_n${n}`;
        const feeds: Record<string, ort.Tensor> = {};
        for (const name of ['queries', 'image', 'sc_prompt', 'mc_prompt']) {
          const a = npy(`${prefix}_${name}`);
          feeds[name] = new ort.Tensor('float32', a.data as Float32Array, a.shape);
        }
        expect(feeds.queries.dims).toEqual([n, 32]);
        expect(feeds.mc_prompt.dims).toEqual([1, n, ...s.patch]);
        const out = await s.session.run(feeds);
        const want = npy(`${prefix}_logits`);
        expect(out.logits.dims).toEqual(want.shape);
        expect(want.shape).toEqual([1, n, ...s.patch]);
        const diff = maxAbsDiff(out.logits.data as Float32Array, want.data as Float32Array);
        console.info(`stage ${stage} N=${n}: max |onnxruntime-node - torch| = ${diff.toExponential(2)}`);
        expect(diff).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  }

  it("the text path: our tokenizer gives proof.py's ids and the encoder PyTorch's embeddings", async () => {
    expect(model?.tokenizer && model.text.encoder).toBeTruthy();
    const queries = JSON.parse(readFileSync(path.join(dir, 'parity', 'text.json'), 'utf8')) as {
      sentence: string;
      modality: Modality;
    }[];
    const ids = npy('text_input_ids');
    const batch = model!.tokenizer!.encode(queries.map((q) => q.sentence));
    expect([batch.batch, batch.length]).toEqual(ids.shape);
    expect(Array.from(batch.inputIds, Number)).toEqual(Array.from(ids.data));
    const embeddings = await model!.text.encoder!.embed(queries);
    const want = npy('text_embeddings');
    expect(want.shape).toEqual([queries.length, 32]);
    expect(maxAbsDiff(embeddings, want.data as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
  });
});
