import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ValueInfo } from '../../lib/model/graph-io.js';

export type ExecutionProvider = 'cuda' | 'cpu';

export interface SessionOptions {
  /** Preference order; the first one available here is used. Default ['cpu']. */
  executionProviders?: readonly ExecutionProvider[];
  sessionOptions?: Omit<ort.InferenceSession.SessionOptions, 'executionProviders'>;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  executionProvider: ExecutionProvider;
  /** Why preferred providers were passed over, for logs and provenance. */
  skipped: string[];
}

// The linux-x64 binding is built with CUDA, so listSupportedBackends() lists 'cuda' with
// bundled: false even where its provider library (fetched by the install script, which we skip)
// is absent; only the library's presence next to the binding says it can load.
function cudaProviderPresent(): boolean {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  const lib =
    process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(join(pkg, 'bin', 'napi-v6', process.platform, process.arch, lib));
}

export function availableExecutionProviders(): ExecutionProvider[] {
  const listed = ort.listSupportedBackends();
  const out: ExecutionProvider[] = ['cpu'];
  const cuda = listed.find((b) => b.name === 'cuda');
  if (cuda && (cuda.bundled || cudaProviderPresent())) out.unshift('cuda');
  return out;
}

/** Opens a model (bytes or file path) on the first preferred provider that loads it. */
export async function openSession(
  model: Uint8Array | string,
  options: SessionOptions = {},
): Promise<OpenedSession> {
  const available = availableExecutionProviders();
  const preferred = options.executionProviders ?? ['cpu'];
  const skipped: string[] = [];
  const candidates = preferred.filter((ep) => {
    if (available.includes(ep)) return true;
    skipped.push(`${ep}: not available in this onnxruntime-node install`);
    return false;
  });
  if (candidates.length === 0) {
    throw new Error(`none of the execution providers [${preferred.join(', ')}] is available here`);
  }
  for (const [k, ep] of candidates.entries()) {
    const sessionOptions = { ...options.sessionOptions, executionProviders: [ep] };
    try {
      const session =
        typeof model === 'string'
          ? await ort.InferenceSession.create(model, sessionOptions)
          : await ort.InferenceSession.create(model, sessionOptions);
      return { session, executionProvider: ep, skipped };
    } catch (error) {
      // A GPU provider can still fail at load (driver or CUDA runtime missing); fall through to the
      // next preference, but an error on the last one is the model's fault and must surface.
      if (k === candidates.length - 1) throw error;
      skipped.push(`${ep}: ${(error as Error).message}`);
    }
  }
  throw new Error('unreachable');
}

/** What the contract checks of a session's inputs and outputs (lib/model/graph-io.ts checkGraphIo). */
export function sessionValueInfo(session: ort.InferenceSession): {
  inputs: ValueInfo[];
  outputs: ValueInfo[];
} {
  const convert = (m: ort.InferenceSession.ValueMetadata): ValueInfo =>
    m.isTensor
      ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] }
      : { name: m.name, isTensor: false };
  return { inputs: session.inputMetadata.map(convert), outputs: session.outputMetadata.map(convert) };
}
