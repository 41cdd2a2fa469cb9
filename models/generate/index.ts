/**
 * The project's own small models, generated on first use (no install step, nothing committed):
 * `ensureModel('phantom' | 'conv')` builds the model in memory (tens of milliseconds, once per
 * process) and makes the folder models/generated/<name>/ under the package hold exactly those
 * bytes, rewriting any file that differs or is missing (so a changed generator never leaves a
 * stale folder). Where the package folder is read-only it falls back to
 * <tmpdir>/medals-models-<version>/<name>/.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { packageRoot, packageVersion } from '../../functions/lib/core/package-info.js';
import type { StageDtype } from '../../functions/lib/model/manifest.js';
import { type GeneratedModel, writeModelFolder } from './common.js';
import { buildConvModel } from './conv.js';
import { buildPhantomModel } from './phantom.js';

export { type GeneratedModel, writeModelFolder } from './common.js';
export {
  CONV_RECEPTIVE_RADIUS,
  buildConvModel,
  convModelMacs,
  convModelWeights,
  convSame,
  evaluateConvModel,
} from './conv.js';
export { buildPhantomModel, phantomSentences } from './phantom.js';

export const GENERATED_MODELS = ['phantom', 'conv'] as const;
export type GeneratedModelName = (typeof GENERATED_MODELS)[number];

interface BuildModelOptions {
  /** Float type of the stage graphs' inputs and output (default float32). */
  stageDtype?: StageDtype;
  /** conv only: weight seed. */
  seed?: number;
}

export function buildModel(name: GeneratedModelName, options: BuildModelOptions = {}): GeneratedModel {
  switch (name) {
    case 'phantom':
      return buildPhantomModel({ stageDtype: options.stageDtype });
    case 'conv':
      return buildConvModel({ stageDtype: options.stageDtype, seed: options.seed });
    default:
      throw new Error(`unknown generated model '${String(name)}' (known: ${GENERATED_MODELS.join(', ')})`);
  }
}

/** Where ensureModel puts a model by default. */
export function generatedModelDir(name: GeneratedModelName): string {
  return path.join(packageRoot(), 'models', 'generated', name);
}

/** Build a model and write it to `dir` (files that already match are left alone). */
export async function generateModel(
  name: GeneratedModelName,
  dir: string,
  options: BuildModelOptions = {},
): Promise<{ dir: string; written: string[] }> {
  const written = await writeModelFolder(buildModel(name, options), dir);
  return { dir, written };
}

const built = new Map<GeneratedModelName, GeneratedModel>();

function readOnly(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EROFS' || code === 'EPERM';
}

/**
 * The folder of a generated model, with exactly the generator's bytes: every call compares the
 * files with the model (built once per process) and rewrites what differs or is missing, which
 * costs milliseconds. Pass `dir` to put it elsewhere. Returns the folder's absolute path.
 */
export async function ensureModel(name: GeneratedModelName, options: { dir?: string } = {}): Promise<string> {
  if (!GENERATED_MODELS.includes(name)) {
    throw new Error(`unknown generated model '${String(name)}' (known: ${GENERATED_MODELS.join(', ')})`);
  }
  let model = built.get(name);
  if (!model) built.set(name, (model = buildModel(name)));
  const dir = path.resolve(options.dir ?? generatedModelDir(name));
  try {
    await writeModelFolder(model, dir);
    return dir;
  } catch (e) {
    if (options.dir || !readOnly(e)) throw e;
    const fallback = path.join(tmpdir(), `medals-models-${packageVersion()}`, name);
    await writeModelFolder(model, fallback);
    return fallback;
  }
}
