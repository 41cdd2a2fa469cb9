import {
  AttributeType,
  DataType,
  encodeModel,
  type AttributeProto,
  type DimensionProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-schema.js';

export type ElemType = 'float32' | 'float64' | 'int64' | 'int32' | 'uint8' | 'int8' | 'bool';
/** A fixed extent, or a symbolic name (e.g. 'N', 'classes') that onnxruntime binds at run time. */
export type Dim = number | string;

const ELEM_TYPES: Record<ElemType, number> = {
  float32: DataType.FLOAT,
  float64: DataType.DOUBLE,
  int64: DataType.INT64,
  int32: DataType.INT32,
  uint8: DataType.UINT8,
  int8: DataType.INT8,
  bool: DataType.BOOL,
};

interface TensorInit {
  dtype: 'float32' | 'int64';
  dims: readonly number[];
  data: Float32Array | BigInt64Array | readonly number[];
}

// Attributes are tagged because a JS number cannot say whether ONNX wants INT or FLOAT
// (e.g. LeakyRelu alpha=1 must still be a FLOAT, or the model is rejected).
type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorInit };

export const attr = {
  int: (value: number): Attr => ({ kind: 'int', value }),
  ints: (value: readonly number[]): Attr => ({ kind: 'ints', value }),
  float: (value: number): Attr => ({ kind: 'float', value }),
  floats: (value: readonly number[]): Attr => ({ kind: 'floats', value }),
  string: (value: string): Attr => ({ kind: 'string', value }),
  tensor: (value: TensorInit): Attr => ({ kind: 'tensor', value }),
};

interface NodeOptions {
  /** Output names, or how many to auto-name; default one auto-named output. */
  outputs?: readonly string[] | number;
  name?: string;
  domain?: string;
}

interface ModelOptions {
  opset?: number;
  irVersion?: number;
  producerName?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

function tensorProto(name: string, t: TensorInit): TensorProto {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new Error(`tensor ${name}: ${t.data.length} values for dims [${t.dims.join(', ')}] (${count})`);
  }
  const typed =
    t.dtype === 'float32'
      ? Float32Array.from(t.data as ArrayLike<number>)
      : BigInt64Array.from(t.data as ArrayLike<number | bigint>, (v) => BigInt(v));
  // raw_data is little-endian by spec; typed arrays are host-endian, and every Node target is LE.
  const raw = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  return {
    name,
    dims: [...t.dims],
    data_type: t.dtype === 'float32' ? DataType.FLOAT : DataType.INT64,
    raw_data: raw,
  };
}

function attributeProto(name: string, a: Attr): AttributeProto {
  switch (a.kind) {
    case 'int':
      return { name, type: AttributeType.INT, i: a.value };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: [...a.value] };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: a.value };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: [...a.value] };
    case 'string':
      return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor':
      return { name, type: AttributeType.TENSOR, t: tensorProto(name, a.value) };
  }
}

function valueInfo(name: string, dtype: ElemType, shape?: readonly Dim[]): ValueInfoProto {
  const dim = shape?.map((d): DimensionProto =>
    typeof d === 'number' ? { dim_value: d } : { dim_param: d },
  );
  return {
    name,
    type: { tensor_type: { elem_type: ELEM_TYPES[dtype], ...(dim ? { shape: { dim } } : {}) } },
  };
}

/** Collects a single ONNX graph and serialises it as a model (opset 17, IR 8 by default). */
export class GraphBuilder {
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly name = 'graph') {}

  input(name: string, dtype: ElemType, shape: readonly Dim[]): string {
    this.inputs.push(valueInfo(this.claim(name), dtype, shape));
    return name;
  }

  /** Marks an existing value as a graph output; omit shape to leave it for onnxruntime to infer. */
  output(name: string, dtype: ElemType, shape?: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  initializer(name: string, tensor: TensorInit): string {
    this.initializers.push(tensorProto(this.claim(name), tensor));
    return name;
  }

  /** Adds a node and returns its output names (so `const [y] = g.node(...)`). */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, Attr> = {},
    options: NodeOptions = {},
  ): string[] {
    const id = this.counter++;
    const wanted = options.outputs ?? 1;
    const outputs =
      typeof wanted === 'number'
        ? Array.from({ length: wanted }, (_, k) => this.claim(`${opType.toLowerCase()}_${id}_${k}`))
        : wanted.map((n) => this.claim(n));
    this.nodes.push({
      op_type: opType,
      name: options.name ?? `${opType}_${id}`,
      input: [...inputs],
      output: outputs,
      ...(options.domain ? { domain: options.domain } : {}),
      attribute: Object.entries(attributes).map(([k, v]) => attributeProto(k, v)),
    });
    return outputs;
  }

  toModel(options: ModelOptions = {}): ModelProto {
    return {
      ir_version: options.irVersion ?? 8,
      opset_import: [{ domain: '', version: options.opset ?? 17 }],
      producer_name: options.producerName ?? 'medals-graph-builder',
      ...(options.docString ? { doc_string: options.docString } : {}),
      metadata_props: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
  }

  toBytes(options: ModelOptions = {}): Uint8Array {
    return encodeModel(this.toModel(options));
  }

  // SSA: a second producer of one name makes an invalid graph, so catch it where it is written.
  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate value name in graph ${this.name}: ${name}`);
    this.names.add(name);
    return name;
  }
}
