/**
 * itk-wasm pipelines print ITK's own warnings (vnl_svd on a damaged orientation, "Exception
 * while running pipeline", ...) through console.log / console.error, interleaved with medals'
 * one-line errors and progress. Calls go through `quietItk`, which holds that console output
 * back while any itk-wasm call runs: it is dropped unless MEDALS_LOG_LEVEL is debug or trace,
 * where it passes through as before. medals itself writes to process.stdout/stderr and the
 * logger, never to console, so nothing of ours is held back.
 */

const METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;
type Method = (typeof METHODS)[number];

let active = 0;
let saved: Partial<Record<Method, (...args: unknown[]) => void>> = {};

function verbose(): boolean {
  const level = process.env.MEDALS_LOG_LEVEL ?? '';
  return level === 'debug' || level === 'trace';
}

/** Runs an itk-wasm call with its console chatter held back (calls may overlap). */
export async function quietItk<T>(call: () => Promise<T>): Promise<T> {
  if (verbose()) return call();
  if (active++ === 0) {
    saved = {};
    for (const method of METHODS) {
      saved[method] = console[method];
      console[method] = () => {};
    }
  }
  try {
    return await call();
  } finally {
    if (--active === 0) {
      for (const method of METHODS) console[method] = saved[method]!;
      saved = {};
    }
  }
}
