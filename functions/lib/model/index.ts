/**
 * The model contract, below the steps: the manifest schema, reading a model folder, graph I/O
 * names and shapes, float16 helpers, and the local copy of a remote model folder. Opening ONNX
 * sessions is the Segment step's (functions/steps/segment/model-loader.ts).
 */
export * from './manifest.js';
export {
  type DimSpec,
  type GraphIoReport,
  type GraphSpec,
  type TensorSpec,
  type ValueInfo,
  checkGraphIo,
  stageGraphSpec,
  textEncoderGraphSpec,
} from './graph-io.js';
export { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16.js';
export { localModelFolder, modelCacheDir } from './fetch.js';
