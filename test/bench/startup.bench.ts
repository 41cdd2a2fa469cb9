/**
 * Start-up of the `medals` command (issue 16): the commands that need no model, image or cloud
 * (`--version`, `--help`, `classes`) against a bare `node -e ''` in the same run. Commands load
 * their heavy modules (itk-wasm, ONNX Runtime, the AWS SDK, the workflow engine) only in their
 * action, so these stay close to Node's own start-up. Target: at most 0.3 s each. Prints the
 * table and the verdict; asserts nothing about time (machines here are noisy).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'vitest';
import { packageRoot } from '../../functions/lib/core/package-info.js';
import { best } from '../helpers/timing.js';

const CLI = path.join(packageRoot(), 'bin', 'medals.js');
const TARGET_SECONDS = 0.3;

function run(args: string[]): void {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${String(r.status)}: ${r.stderr}`);
}

describe('start-up', () => {
  it(`--version, --help and classes against a bare node (target ${TARGET_SECONDS} s)`, () => {
    const bare = best(5, () => run(['-e', '']));
    const rows = [['--version'], ['--help'], ['classes'], ['classes', '--search', 'hepatic']].map((args) => ({
      args,
      s: best(5, () => run([CLI, ...args])),
    }));
    const lines = [
      '',
      `bare node: ${bare.toFixed(3)} s`,
      'command                      best of 5   vs bare node',
    ];
    for (const { args, s } of rows) {
      lines.push(
        `medals ${args.join(' ').padEnd(22)} ${s.toFixed(3).padStart(7)} s   ${(s / bare).toFixed(1)}x`,
      );
    }
    const slowest = Math.max(...rows.slice(0, 3).map((r) => r.s));
    lines.push(
      `--version, --help, classes: at most ${slowest.toFixed(3)} s (target <= ${TARGET_SECONDS} s: ${slowest <= TARGET_SECONDS ? 'met' : 'NOT met'})`,
    );
    console.log(lines.join('\n'));
  });
});
