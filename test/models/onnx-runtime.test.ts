import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { conv3dReference } from '../../models/onnx/conv3d-reference.js';
import { GraphBuilder, attr } from '../../models/onnx/graph-builder.js';
import { AttributeType, DataType, decodeModel } from '../../models/onnx/onnx-schema.js';
import { availableExecutionProviders, openSession } from '../../functions/steps/segment/onnx-session.js';
import { prng } from '../helpers/prng.js';

// mulberry32: tiny, seedable, and identical on every platform, so failures reproduce.
function randomArray(rand: () => number, length: number, scale = 1): Float32Array {
  return Float32Array.from({ length }, () => (rand() * 2 - 1) * scale);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  expect(worst).toBeLessThanOrEqual(1e-4);
}

const [C, D, H, W, M] = [2, 12, 10, 8, 3];

function convReluModel(rand: () => number) {
  const weight = randomArray(rand, M * C * 27, 0.5);
  const bias = randomArray(rand, M);
  const g = new GraphBuilder('conv_relu');
  const x = g.input('input', 'float32', [1, C, D, H, W]);
  const w = g.initializer('weight', { dtype: 'float32', dims: [M, C, 3, 3, 3], data: weight });
  const b = g.initializer('bias', { dtype: 'float32', dims: [M], data: bias });
  const [y] = g.node('Conv', [x, w, b], {
    kernel_shape: attr.ints([3, 3, 3]),
    pads: attr.ints([1, 1, 1, 1, 1, 1]),
    auto_pad: attr.string('NOTSET'),
  });
  g.node('Relu', [y], {}, { outputs: ['output'] });
  g.output('output', 'float32', [1, M, D, H, W]);
  return { bytes: g.toBytes(), weight, bias };
}

describe('ONNX graphs built in TypeScript run on onnxruntime-node', () => {
  it('Conv3d 3x3x3 (pads 1, bias) + Relu matches the TypeScript reference', async () => {
    const rand = prng(17);
    const { bytes, weight, bias } = convReluModel(rand);
    const input = randomArray(rand, C * D * H * W);
    const { session, executionProvider } = await openSession(bytes);
    expect(executionProvider).toBe('cpu');
    const out = await session.run({ input: new ort.Tensor('float32', input, [1, C, D, H, W]) });
    expect(out.output.dims).toEqual([1, M, D, H, W]);
    const ref = conv3dReference({
      input,
      inputShape: [1, C, D, H, W],
      weight,
      weightShape: [M, C, 3, 3, 3],
      bias,
      pads: [1, 1, 1, 1, 1, 1],
    });
    expectClose(
      out.output.data as Float32Array,
      ref.data.map((v) => Math.max(0, v)),
    );
    expect((out.output.data as Float32Array).some((v) => v > 0)).toBe(true);
    await session.release();
  });

  it('stride-2 unpadded conv with symbolic batch, channel and spatial dims', async () => {
    const rand = prng(2024);
    const weight = randomArray(rand, M * C * 2 * 3 * 3);
    const g = new GraphBuilder('conv_stride2');
    const x = g.input('image', 'float32', ['N', 'C', 'D', 'H', 'W']);
    const w = g.initializer('w', { dtype: 'float32', dims: [M, C, 2, 3, 3], data: weight });
    g.node('Conv', [x, w], { strides: attr.ints([2, 2, 2]) }, { outputs: ['logits'] });
    g.output('logits', 'float32', ['N', 'classes', 'd', 'h', 'w']);
    const { session } = await openSession(g.toBytes());
    expect(session.inputMetadata[0]).toMatchObject({ name: 'image', shape: ['N', 'C', 'D', 'H', 'W'] });

    // Two batch sizes and two volume sizes through one session prove the axes are really dynamic.
    for (const [n, d, h, w2] of [
      [2, D, H, W],
      [1, 7, 9, 5],
    ]) {
      const input = randomArray(rand, n * C * d * h * w2);
      const out = await session.run({ image: new ort.Tensor('float32', input, [n, C, d, h, w2]) });
      const ref = conv3dReference({
        input,
        inputShape: [n, C, d, h, w2],
        weight,
        weightShape: [M, C, 2, 3, 3],
        strides: [2, 2, 2],
      });
      expect(out.logits.dims).toEqual(ref.shape);
      expectClose(out.logits.data as Float32Array, ref.data);
    }
    await session.release();
  });

  it('elementwise, int64 and float attributes: Mul, Add, Concat, Reshape, LeakyRelu, Constant', async () => {
    const g = new GraphBuilder('misc');
    const x = g.input('x', 'float32', ['N', 2]);
    const scale = g.initializer('scale', { dtype: 'float32', dims: [2], data: [2, -3] });
    const [offset] = g.node('Constant', [], { value_floats: attr.floats([0.5, 0.25]) });
    const shape = g.initializer('shape', { dtype: 'int64', dims: [1], data: [-1] });
    const [m] = g.node('Mul', [x, scale]);
    const [a] = g.node('Add', [m, offset]);
    const [leaky] = g.node('LeakyRelu', [a], { alpha: attr.float(1) });
    const [cat] = g.node('Concat', [leaky, x], { axis: attr.int(-1) });
    g.node('Reshape', [cat, shape], {}, { outputs: ['flat'] });
    g.output('flat', 'float32', ['L']);
    const { session } = await openSession(g.toBytes());
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, -1, 0]), [2, 2]) });
    expect(Array.from(out.flat.data as Float32Array)).toEqual([2.5, -5.75, 1, 2, -1.5, 0.25, -1, 0]);
    await session.release();
  });

  it('model bytes decode back through protobufjs', () => {
    const { bytes } = convReluModel(prng(1));
    const model = decodeModel(bytes);
    expect(model.ir_version).toBe(8);
    expect(model.opset_import).toEqual([{ domain: '', version: 17 }]);
    const graph = model.graph!;
    expect(graph.node!.map((n) => n.op_type)).toEqual(['Conv', 'Relu']);
    expect(graph.initializer!.map((t) => [t.name, t.dims, t.data_type])).toEqual([
      ['weight', [M, C, 3, 3, 3], DataType.FLOAT],
      ['bias', [M], DataType.FLOAT],
    ]);
    expect(graph.initializer![0].raw_data!.byteLength).toBe(M * C * 27 * 4);
    const pads = graph.node![0].attribute!.find((a) => a.name === 'pads');
    expect(pads).toMatchObject({ type: AttributeType.INTS, ints: [1, 1, 1, 1, 1, 1] });
    expect(graph.input![0].type!.tensor_type!.shape!.dim!.map((d) => d.dim_value)).toEqual([1, C, D, H, W]);

    const g = new GraphBuilder();
    g.input('x', 'float32', ['N', 4]);
    g.output('x', 'float32', ['N', 4]);
    const dims = decodeModel(g.toBytes()).graph!.input![0].type!.tensor_type!.shape!.dim!;
    expect(dims).toEqual([{ dim_param: 'N' }, { dim_value: 4 }]);
  });

  it('an invalid graph is rejected with an error, not a crash', async () => {
    const g = new GraphBuilder('bad');
    const x = g.input('input', 'float32', [1, C, D, H, W]);
    // Weight claims C + 1 input channels; the input has C.
    const w = g.initializer('w', {
      dtype: 'float32',
      dims: [M, C + 1, 3, 3, 3],
      data: new Float32Array(M * (C + 1) * 27),
    });
    g.node('Conv', [x, w], { pads: attr.ints([1, 1, 1, 1, 1, 1]) }, { outputs: ['output'] });
    g.output('output', 'float32', [1, M, D, H, W]);
    const openAndRun = async () => {
      // Silence onnxruntime's own error log: this failure is the expected outcome.
      const { session } = await openSession(g.toBytes(), { sessionOptions: { logSeverityLevel: 4 } });
      await session.run({
        input: new ort.Tensor('float32', new Float32Array(C * D * H * W), [1, C, D, H, W]),
      });
    };
    await expect(openAndRun()).rejects.toThrow();
    await expect(openSession(new Uint8Array([1, 2, 3]))).rejects.toThrow(/protobuf/);
    expect(() => g.initializer('w', { dtype: 'float32', dims: [1], data: [0] })).toThrow(/duplicate/);
    expect(() => g.initializer('v', { dtype: 'float32', dims: [2, 2], data: [0] })).toThrow(/1 values/);
  });

  it('opens from a path and falls back to CPU when CUDA is asked for but absent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medals-onnx-'));
    try {
      const path = join(dir, 'conv.onnx');
      await writeFile(path, convReluModel(prng(3)).bytes);
      const opened = await openSession(path, { executionProviders: ['cuda', 'cpu'] });
      if (!availableExecutionProviders().includes('cuda')) {
        expect(opened.executionProvider).toBe('cpu');
        expect(opened.skipped).toEqual(['cuda: not available in this onnxruntime-node install']);
      }
      expect(opened.session.outputNames).toEqual(['output']);
      await opened.session.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
