/**
 * Checking a graph's inputs and outputs against the model contract, from the metadata
 * onnxruntime reports (InferenceSession.inputMetadata / outputMetadata): names, element types
 * and shapes. Pure: every difference is listed, so one MODEL_CONTRACT error says all that is wrong.
 */

/** One dimension the contract expects. */
export type DimSpec =
  /** A fixed extent (E, a patch size); a symbolic dim is tolerated with a warning. */
  | { kind: 'fixed'; value: number; label: string }
  /** Must be dynamic (N, L): a symbolic or unknown dim; a fixed number is an error. */
  | { kind: 'dynamic'; label: string }
  /** Batch: 1, or dynamic (the engine always feeds 1). */
  | { kind: 'batch' };

export interface TensorSpec {
  name: string;
  dtypes: readonly string[];
  dims: readonly DimSpec[];
}

export interface GraphSpec {
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  /** Extra graph outputs are harmless (not fetched); extra inputs are not (nothing feeds them). */
  allowExtraOutputs?: boolean;
}

/** The metadata of one value as onnxruntime-node reports it. */
export interface ValueInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: readonly (number | string)[];
}

export interface GraphIoReport {
  problems: string[];
  warnings: string[];
  /** Element type found for each contract tensor present. */
  dtypes: Record<string, string>;
  /** Shape found for each contract tensor present, as reported. */
  shapes: Record<string, (number | string)[]>;
}

/** Contract shape in words: [N, 768] or [1, N, 48, 48, 24]. */
export function describeDims(dims: readonly DimSpec[]): string {
  return `[${dims.map((d) => (d.kind === 'fixed' ? String(d.value) : d.kind === 'batch' ? '1' : d.label)).join(', ')}]`;
}

function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'string' ? (d === '' ? '?' : d) : d < 0 ? '?' : String(d))).join(', ')}]`;
}

const isDynamic = (d: number | string): boolean => typeof d === 'string' || d < 0;

/** Compare a graph's I/O with the contract; `where` prefixes every message (e.g. 'stage 1 graph stage1.onnx'). */
export function checkGraphIo(
  where: string,
  found: { inputs: readonly ValueInfo[]; outputs: readonly ValueInfo[] },
  spec: GraphSpec,
): GraphIoReport {
  const report: GraphIoReport = { problems: [], warnings: [], dtypes: {}, shapes: {} };
  const side = (kind: 'input' | 'output', have: readonly ValueInfo[], want: readonly TensorSpec[]) => {
    const names = have.map((v) => v.name);
    for (const t of want) {
      const v = have.find((h) => h.name === t.name);
      if (!v) {
        report.problems.push(
          `${where}: ${kind} '${t.name}' is missing (the graph's ${kind}s are ${names.map((n) => `'${n}'`).join(', ') || 'none'})`,
        );
        continue;
      }
      if (!v.isTensor || v.type === undefined) {
        report.problems.push(`${where}: ${kind} '${t.name}' is not a tensor`);
        continue;
      }
      report.dtypes[t.name] = v.type;
      if (!t.dtypes.includes(v.type)) {
        report.problems.push(
          `${where}: ${kind} '${t.name}' has dtype ${v.type}, the contract wants ${t.dtypes.join(' or ')}`,
        );
      }
      const shape = v.shape ?? [];
      report.shapes[t.name] = [...shape];
      if (shape.length === 0) {
        report.warnings.push(
          `${where}: ${kind} '${t.name}' declares no shape; expected ${describeDims(t.dims)} is not checked`,
        );
        continue;
      }
      if (shape.length !== t.dims.length) {
        report.problems.push(
          `${where}: ${kind} '${t.name}' has shape ${describeShape(shape)} (rank ${shape.length}), ` +
            `the contract wants ${describeDims(t.dims)} (rank ${t.dims.length})`,
        );
        continue;
      }
      const bad: string[] = [];
      t.dims.forEach((d, i) => {
        const got = shape[i];
        if (d.kind === 'fixed') {
          if (isDynamic(got)) {
            report.warnings.push(
              `${where}: ${kind} '${t.name}' dimension ${i} (${d.label}) is dynamic; the contract fixes it at ${d.value}`,
            );
          } else if (got !== d.value) {
            bad.push(`dimension ${i} (${d.label}) is ${got}, not ${d.value}`);
          }
        } else if (d.kind === 'dynamic') {
          if (!isDynamic(got)) bad.push(`dimension ${i} (${d.label}) is fixed at ${got}; it must be dynamic`);
        } else if (!isDynamic(got) && got !== 1) {
          bad.push(`dimension ${i} (batch) is ${got}, not 1`);
        }
      });
      if (bad.length > 0) {
        report.problems.push(
          `${where}: ${kind} '${t.name}' has shape ${describeShape(shape)}, the contract wants ` +
            `${describeDims(t.dims)}: ${bad.join('; ')}`,
        );
      }
    }
    const extra = have.filter((h) => !want.some((t) => t.name === h.name)).map((h) => `'${h.name}'`);
    if (extra.length > 0) {
      if (kind === 'input') {
        report.problems.push(
          `${where}: unexpected input${extra.length > 1 ? 's' : ''} ${extra.join(', ')} (the contract's inputs are ` +
            `${want.map((t) => `'${t.name}'`).join(', ')})`,
        );
      } else if (!spec.allowExtraOutputs) {
        report.problems.push(`${where}: unexpected output${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`);
      } else {
        report.warnings.push(
          `${where}: extra output${extra.length > 1 ? 's' : ''} ${extra.join(', ')} not used`,
        );
      }
    }
  };
  side('input', found.inputs, spec.inputs);
  side('output', found.outputs, spec.outputs);
  return report;
}

/** The stage graph contract for embedding width E and patch (H, W, D). */
export function stageGraphSpec(
  embeddingWidth: number,
  patch: readonly [number, number, number],
  dtype: string,
): GraphSpec {
  const dtypes = [dtype];
  const [H, W, D] = patch;
  const spatial: DimSpec[] = [
    { kind: 'fixed', value: H, label: 'H' },
    { kind: 'fixed', value: W, label: 'W' },
    { kind: 'fixed', value: D, label: 'D' },
  ];
  const n: DimSpec = { kind: 'dynamic', label: 'N' };
  return {
    inputs: [
      { name: 'queries', dtypes, dims: [n, { kind: 'fixed', value: embeddingWidth, label: 'E' }] },
      {
        name: 'image',
        dtypes,
        dims: [{ kind: 'batch' }, { kind: 'fixed', value: 1, label: 'channel' }, ...spatial],
      },
      {
        name: 'sc_prompt',
        dtypes,
        dims: [{ kind: 'batch' }, { kind: 'fixed', value: 1, label: 'channel' }, ...spatial],
      },
      { name: 'mc_prompt', dtypes, dims: [{ kind: 'batch' }, n, ...spatial] },
    ],
    outputs: [{ name: 'logits', dtypes, dims: [{ kind: 'batch' }, n, ...spatial] }],
    allowExtraOutputs: true,
  };
}

/** The text-encoder graph contract for embedding width E. */
export function textEncoderGraphSpec(embeddingWidth: number): GraphSpec {
  const n: DimSpec = { kind: 'dynamic', label: 'N' };
  const l: DimSpec = { kind: 'dynamic', label: 'L' };
  return {
    inputs: [
      { name: 'input_ids', dtypes: ['int64'], dims: [n, l] },
      { name: 'attention_mask', dtypes: ['int64'], dims: [n, l] },
      { name: 'modality', dtypes: ['int64'], dims: [n] },
    ],
    outputs: [
      {
        name: 'embeddings',
        dtypes: ['float32', 'float16'],
        dims: [n, { kind: 'fixed', value: embeddingWidth, label: 'E' }],
      },
    ],
    allowExtraOutputs: true,
  };
}
