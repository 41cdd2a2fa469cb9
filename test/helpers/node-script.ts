import { spawnSync } from 'node:child_process';

export interface NodeScriptOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Default 120 s. */
  timeoutMs?: number;
  /** Most stdout and stderr bytes kept (default 16 MiB). */
  maxBuffer?: number;
}

/**
 * Runs an ES module script in a fresh node process and returns its last stdout line parsed as
 * JSON (the script prints its result there); throws with its exit status, signal and stderr
 * when it fails.
 */
export function runNodeScript<T>(script: string, options: NodeScriptOptions = {}): T {
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: options.cwd,
    env: options.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: options.maxBuffer ?? 16 * 1024 * 1024,
  });
  if (run.status !== 0) {
    throw new Error(`child failed (status ${run.status}, signal ${run.signal}):\n${run.stderr}`);
  }
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]) as T;
}
