/** Wall-clock timing for the benchmarks (process.hrtime, in seconds). */

/** Seconds `run` takes. */
export function seconds(run: () => void): number {
  const t = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** The fastest of `passes` runs, in seconds. */
export function best(passes: number, run: () => void): number {
  let fastest = Infinity;
  for (let i = 0; i < passes; i++) fastest = Math.min(fastest, seconds(run));
  return fastest;
}

/** Seconds `run` takes until the promise it returns settles. */
export async function secondsAsync(run: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** The fastest of `passes` runs of an asynchronous `run`, in seconds. */
export async function bestAsync(passes: number, run: () => Promise<unknown> | unknown): Promise<number> {
  let fastest = Infinity;
  for (let i = 0; i < passes; i++) fastest = Math.min(fastest, await secondsAsync(run));
  return fastest;
}
