import { main } from '../../functions/tools/cli/main.js';

/** A CliIo that records what a command printed, for in-process `main([...], io)` calls. */
export function recordingIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/** `medals ...args` in-process: the exit code and what it printed. */
export async function runCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = recordingIo();
  const code = await main(args, io.io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}
