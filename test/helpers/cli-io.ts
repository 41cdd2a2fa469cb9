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
