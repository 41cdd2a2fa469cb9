/** The model folder contract: manifest schema, loader with contract checks, float16 helpers. */
export * from './manifest.js';
export {
  type Device,
  type LoadModelOptions,
  type LoadedModel,
  type ModelFileRecord,
  type StageModel,
  loadModel,
  sha256File,
} from '../../steps/segment/model/loader.js';
export {
  type DimSpec,
  type GraphIoReport,
  type GraphSpec,
  type TensorSpec,
  type ValueInfo,
  checkGraphIo,
  sessionValueInfo,
  stageGraphSpec,
  textEncoderGraphSpec,
} from './graph-io.js';
export { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from './float16.js';
export {
  GENERATED_MODELS,
  type GeneratedModelName,
  ensureModel,
  generateModel,
  generatedModelDir,
} from '../../../models/generate/index.js';
export { localModelFolder, modelCacheDir } from './fetch.js';
