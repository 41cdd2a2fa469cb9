/**
 * A whole case (issue 16): what a user waits for, around the network.
 *
 * 1. `medals segment` of a phantom CT (512 x 512 x 240 at 0.8, 0.8, 1.25 mm, five organs, the
 *    generated phantom model) against the bare Python pipeline of test/bench/python/
 *    bare_pipeline.py on the same file, in the same run: nibabel read, soft-tissue window, scipy
 *    zoom to the stage-1 grid, an ROI at 1 mm, a five-class linear restore, cc3d keep-largest,
 *    nibabel write (no network, report or statistics). Both are whole processes timed from
 *    outside; medals net of its CLI start-up (`medals --version`, best of 3). Targets: medals at
 *    most half the pipeline's time, peak memory at most 1.5 GB.
 * 2. Every step of the segment-case workflow on a 512 x 512 x 300 CT, each in its own node
 *    process as on AWS (one Lambda or container per step), run in sequence on the compiled
 *    handlers in dist/ (`npm run build` first): seconds inside the handler and peak RSS.
 *
 * Peak memory of a node process is its own process.resourceUsage().maxRSS at exit (a preloaded
 * module writes it); python reports its getrusage. Prints tables; asserts only that the outputs
 * exist, nothing about time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { caseFile } from '../../functions/lib/case/case-files.js';
import { packageRoot } from '../../functions/lib/core/package-info.js';
import type { Vec3 } from '../../functions/lib/geometry/volume.js';
import { writePhantom } from '../../functions/tools/phantom/write-phantom.js';
import { ensureModel } from '../../models/generate/index.js';
import { runNodeScript } from '../helpers/node-script.js';
import { findPython } from '../helpers/python.js';
import { tempDir } from '../helpers/tmp.js';

const PROMPTS = ['liver', 'spleen', 'left kidney', 'right kidney', 'aorta'];
const SEGMENT_CASE = { size: [512, 512, 240] as Vec3, spacing: [0.8, 0.8, 1.25] as Vec3 };
const STEP_CASE = { size: [512, 512, 300] as Vec3, spacing: [0.8, 0.8, 1.25] as Vec3 };
const RATIO_TARGET = 0.5;
const RSS_TARGET_BYTES = 1.5e9;

const medalsBin = () => path.join(packageRoot(), 'bin', 'medals.js');
const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;
const s = (seconds: number) => `${seconds.toFixed(2)} s`;

interface ProcessRun {
  seconds: number;
  maxRssBytes: number;
  stdout: string;
}

/** Runs `command args`, timing it from outside; throws with its stderr when it fails. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const t = process.hrtime.bigint();
  const run = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (run.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${run.status}):\n${run.stderr}`);
  return { seconds, stdout: run.stdout };
}

/** A node process with a module preloaded that writes its peak RSS (bytes) to a file at exit. */
function nodeRunner(dir: string) {
  const preload = path.join(dir, 'peak-rss.cjs');
  writeFileSync(
    preload,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.MEDALS_BENCH_RSS, String(process.resourceUsage().maxRSS * 1024)));\n",
  );
  return (args: string[]): ProcessRun => {
    const rssFile = path.join(dir, 'rss.txt');
    const run = timed(process.execPath, ['-r', preload, ...args], {
      ...process.env,
      MEDALS_BENCH_RSS: rssFile,
    });
    return { ...run, maxRssBytes: Number(readFileSync(rssFile, 'utf8')) };
  };
}

interface StepRow {
  step: string;
  seconds: number;
  maxRssBytes: number;
}

/** One step's handler from dist/, in a fresh node; its event and output pass through files. */
function runStep(
  dir: string,
  step: string,
  folder: string,
  event: unknown,
): { row: StepRow; output: unknown } {
  const eventFile = path.join(dir, `${folder}-event.json`);
  const outputFile = path.join(dir, `${folder}-output.json`);
  writeFileSync(eventFile, JSON.stringify(event));
  const handler = JSON.stringify(
    path.join(packageRoot(), 'dist', 'functions', 'steps', folder, 'handler.js'),
  );
  const child = runNodeScript<{ seconds: number; maxRssBytes: number }>(
    `
    import { readFileSync, writeFileSync, writeSync } from 'node:fs';
    import { handler } from ${handler};
    const event = JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8'));
    const t = process.hrtime.bigint();
    const output = await handler(event);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    writeFileSync(${JSON.stringify(outputFile)}, JSON.stringify(output));
    writeSync(1, '\\n' + JSON.stringify({ seconds, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\\n');
    process.exit(0);
    `,
    { cwd: packageRoot(), timeoutMs: 900_000 },
  );
  return { row: { step, ...child }, output: JSON.parse(readFileSync(outputFile, 'utf8')) };
}

describe('whole-case benchmark', () => {
  const dir = tempDir('medals-bench-case-');

  it(`medals segment vs the bare Python pipeline, ${SEGMENT_CASE.size.join('x')} CT, ${PROMPTS.length} prompts`, async () => {
    const lines = [''];
    const { files } = await writePhantom(path.join(dir, 'segment-case'), SEGMENT_CASE);
    await ensureModel('phantom'); // generated once, not timed
    const node = nodeRunner(dir);
    const startup = Math.min(...[0, 1, 2].map(() => node([medalsBin(), '--version']).seconds));
    const out = path.join(dir, 'segment-case', 'medals');
    const medals = node([medalsBin(), 'segment', files.image, '--prompts', PROMPTS.join(','), '--out', out]);
    expect(existsSync(caseFile(out, 'seg'))).toBe(true);
    const net = medals.seconds - startup;
    const provenance = JSON.parse(readFileSync(caseFile(out, 'provenance'), 'utf8')) as {
      timings: { step: string; seconds: number }[];
    };
    lines.push(
      `Whole case: phantom CT ${SEGMENT_CASE.size.join('x')} at ${SEGMENT_CASE.spacing.join(', ')} mm, ${PROMPTS.length} prompts, generated phantom model, CPU`,
      `  medals segment: ${s(medals.seconds)} wall, ${s(net)} net of CLI start-up (${s(startup)}), peak ${gb(medals.maxRssBytes)} ` +
        `(target <= ${gb(RSS_TARGET_BYTES)}: ${medals.maxRssBytes <= RSS_TARGET_BYTES ? 'met' : 'NOT met'})`,
      `  provenance.json: ${provenance.timings.map((t) => `${t.step} ${s(t.seconds)}`).join(', ')}`,
    );
    const python = findPython(['numpy', 'scipy.ndimage', 'nibabel', 'cc3d']);
    if (python === null) {
      lines.push(
        '  python3 with numpy, scipy, nibabel and cc3d not found (requirements-dev.txt): pipeline skipped',
      );
    } else {
      const script = path.join(packageRoot(), 'test', 'bench', 'python', 'bare_pipeline.py');
      const pyOut = path.join(dir, 'segment-case', 'python-seg.nii.gz');
      const run = timed(python, [script, files.image, pyOut, String(PROMPTS.length)]);
      const inside = JSON.parse(run.stdout.trim().split('\n').pop()!) as Record<string, number>;
      expect(existsSync(pyOut)).toBe(true);
      const ratio = net / run.seconds;
      const { maxRssBytes, total, ...stages } = inside;
      lines.push(
        `  bare Python pipeline (${python}): ${s(run.seconds)} wall, ${s(total)} after imports, peak ${gb(maxRssBytes)}`,
        `    ${Object.entries(stages)
          .map(([k, v]) => `${k} ${s(v)}`)
          .join(', ')}`,
        `  medals (net) / Python: ${ratio.toFixed(2)}x (target <= ${RATIO_TARGET}: ${ratio <= RATIO_TARGET ? 'met' : 'NOT met'})`,
      );
    }
    console.log([...lines, ''].join('\n'));
  });

  it(`every step in its own process, ${STEP_CASE.size.join('x')} CT`, async () => {
    const { files } = await writePhantom(path.join(dir, 'step-case'), STEP_CASE);
    const request = {
      image: files.image,
      prompts: PROMPTS,
      modality: 'CT',
      output: path.join(dir, 'step-case', 'medals'),
      model: await ensureModel('phantom'),
    };
    const rows: StepRow[] = [];
    const step = (name: string, folder: string, event: unknown) => {
      const { row, output } = runStep(dir, name, folder, event);
      rows.push(row);
      return output as Record<string, unknown>;
    };
    const validated = step('Validate', 'validate', { request });
    const preprocessed = step('Preprocess', 'preprocess', {
      request: validated.request,
      validateSeconds: validated.seconds,
    });
    const segmented = step('Segment', 'segment', preprocessed);
    // The SegmentOutputs Pass state: the references Restore reads (segment-case.asl.json).
    const restored = step('Restore', 'restore', {
      request: segmented.request,
      preprocess: segmented.preprocess,
      segment: segmented.segment,
      working: segmented.working,
      maxProbability: segmented.maxProbability,
    });
    const done = step('MetricsReport', 'metrics-report', restored);
    expect(existsSync((done.outputs as Record<string, string>).report)).toBe(true);
    const total = rows.reduce((sum, r) => sum + r.seconds, 0);
    console.log(
      [
        '',
        `Every step in its own node process (compiled handlers from dist/): phantom CT ${STEP_CASE.size.join('x')} at ${STEP_CASE.spacing.join(', ')} mm, ${PROMPTS.length} prompts`,
        `  ${'step'.padEnd(15)}${'seconds'.padStart(9)}${'peak RSS'.padStart(11)}`,
        ...rows.map(
          (r) => `  ${r.step.padEnd(15)}${r.seconds.toFixed(2).padStart(9)}${gb(r.maxRssBytes).padStart(11)}`,
        ),
        `  ${'all steps'.padEnd(15)}${total.toFixed(2).padStart(9)}${gb(Math.max(...rows.map((r) => r.maxRssBytes))).padStart(11)}`,
        '',
      ].join('\n'),
    );
  });
});
