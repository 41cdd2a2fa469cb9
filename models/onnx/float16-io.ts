import type { ModelProto, NodeProto } from './onnx-schema.js';

const FLOAT = 1;
const FLOAT16 = 10;

/**
 * Give a float32 graph float16 inputs and outputs, the way an fp16 export looks from outside:
 * each float32 graph input x becomes float16 and is Cast to float32 for its consumers, each
 * float32 output y is computed as before and Cast to float16. The inside stays float32, so the
 * numbers differ from the float32 graph only by the float16 rounding at the boundary.
 */
export function withFloat16Io(model: ModelProto): ModelProto {
  const graph = model.graph;
  if (!graph) throw new Error('model has no graph');
  const rename = new Map<string, string>();
  const casts: NodeProto[] = [];
  const inputs = (graph.input ?? []).map((v) => {
    const t = v.type?.tensor_type;
    if (t?.elem_type !== FLOAT) return v;
    const inner = `${v.name}__f32`;
    rename.set(v.name, inner);
    casts.push({
      op_type: 'Cast',
      name: `cast_in_${v.name}`,
      input: [v.name],
      output: [inner],
      attribute: [{ name: 'to', type: 2, i: FLOAT }],
    });
    return { ...v, type: { ...v.type, tensor_type: { ...t, elem_type: FLOAT16 } } };
  });
  const outRename = new Map<string, string>();
  const outputs = (graph.output ?? []).map((v) => {
    const t = v.type?.tensor_type;
    if (t?.elem_type !== FLOAT) return v;
    outRename.set(v.name, `${v.name}__f32`);
    return { ...v, type: { ...v.type, tensor_type: { ...t, elem_type: FLOAT16 } } };
  });
  const nodes = (graph.node ?? []).map((n) => ({
    ...n,
    input: n.input.map((x) => rename.get(x) ?? x),
    output: n.output.map((y) => outRename.get(y) ?? y),
  }));
  const outCasts: NodeProto[] = [...outRename].map(([outer, inner]) => ({
    op_type: 'Cast',
    name: `cast_out_${outer}`,
    input: [rename.get(inner) ?? inner],
    output: [outer],
    attribute: [{ name: 'to', type: 2, i: FLOAT16 }],
  }));
  return {
    ...model,
    graph: { ...graph, input: inputs, output: outputs, node: [...casts, ...nodes, ...outCasts] },
  };
}
