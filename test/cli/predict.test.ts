/**
 * `medals predict INPUT_DIR OUTPUT_DIR` and predict.sh, the challenge harness's interface
 * (issue 18): phantom npz cases (semantic and instance) and a corrupt one through the real
 * workflow with the phantom model; the outputs scored the way CVPR25_text_eval.py scores them by
 * an independent numpy/scipy script reading the npz files with allow_pickle=True, and that
 * score equal to `medals evaluate` on the same pairs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ensureModel } from '../../models/generate/index.js';
import { runCli } from '../helpers/cli-io.js';
import { phantomNpz } from '../helpers/phantom-npz.js';
import { findPython } from '../helpers/python.js';
import { type HarnessCase, referenceHarnessScript } from '../helpers/surface-reference.js';
import { tempDir } from '../helpers/tmp.js';

const SEMANTIC = ['case-1.npz', 'case-2.npz'];
const INSTANCE = 'lesions-0.npz';
const BROKEN = 'broken.npz';

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
/** predict's work folders under a TMPDIR (onnxruntime leaves files of its own there). */
const workFolders = (tmp: string) => readdirSync(tmp).filter((f) => f.startsWith('medals-predict-'));

describe('medals predict', () => {
  const dir = tempDir('medals-predict-test-');
  const inputs = path.join(dir, 'inputs');
  // Made by predict itself: a missing OUTPUT_DIR (and its parent) is created.
  const outputs = path.join(dir, 'new', 'outputs');
  // The work folder goes under this TMPDIR, so the test can see that predict removes it.
  const tmp = path.join(dir, 'tmp');
  const savedTmp = process.env.TMPDIR;
  let model: string;
  let run: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    model = await ensureModel('phantom');
    await mkdir(inputs, { recursive: true });
    await mkdir(tmp, { recursive: true });
    for (const [k, name] of SEMANTIC.entries())
      await writeFile(path.join(inputs, name), phantomNpz(k + 1).bytes);
    await writeFile(path.join(inputs, INSTANCE), phantomNpz(0, undefined, 'instance').bytes);
    const whole = phantomNpz(3).bytes;
    await writeFile(path.join(inputs, BROKEN), whole.subarray(0, whole.length >> 1));
    await writeFile(path.join(inputs, 'notes.txt'), 'not a case');
    process.env.TMPDIR = tmp;
    try {
      run = await runCli('predict', inputs, outputs, '--model', model, '--device', 'cpu');
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
  }, 600_000);

  afterAll(() => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  });

  it('writes exactly <name>.npz per good case, reports the corrupt one, exits 1, removes its work folder', () => {
    expect(run.code, run.stderr).toBe(1);
    expect(readdirSync(outputs).sort()).toEqual([...SEMANTIC, INSTANCE].sort());
    expect(workFolders(tmp)).toEqual([]);
    // One CODE: message line for the broken case, and the summary last.
    const errors = run.stderr.split('\n').filter((l) => /^[A-Z_]+: /.test(l));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatch(/^(INVALID_INPUT|UNSUPPORTED_FORMAT): broken\.npz: /);
    expect(errors[1]).toMatch(/1 of 4 cases failed \(broken\.npz\)/);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((l) => l.split('\t')[0])).toEqual([...SEMANTIC, INSTANCE].sort());
    for (const line of lines) {
      const [name, seconds, classes] = line.split('\t');
      expect(seconds, name).toMatch(/^\d+\.\d s$/);
      expect(classes, name).toBe(
        name === INSTANCE ? '1 of 1 classes found: 1' : '5 of 5 classes found: 1, 2, 3, 4, 5',
      );
    }
  });

  it('scores as the challenge evaluator does (numpy, allow_pickle) and equals `medals evaluate`', async () => {
    const python = findPython(['numpy', 'scipy.ndimage', 'scipy.optimize']);
    if (!python) return void console.warn('skipped: no python3 with numpy and scipy (set MEDALS_PYTHON)');
    const names = [...SEMANTIC, INSTANCE];
    const cases: HarnessCase[] = names.map((name) => ({
      input: path.join(inputs, name),
      // The phantom npz carries its own gts: it is the ground-truth file too.
      gt: path.join(inputs, name),
      output: path.join(outputs, name),
    }));
    const scores = path.join(dir, 'harness.json');
    const r = spawnSync(python, ['-c', referenceHarnessScript(cases, scores)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    type Row = {
      keys: string[];
      dtype: string;
      shape: number[];
      imageShape: number[];
      spacing: number[];
      inputSpacing: number[];
      promptsEqual: boolean;
      task: string;
      dsc?: number;
      nsd?: number;
      classes?: { label: number; dsc: number; nsd: number }[];
      f1?: number;
      dscTp?: number;
    };
    const rows = readJson<Row[]>(scores);
    for (const [k, name] of names.entries()) {
      const ref = rows[k];
      // What the official inference writes: segs int16 of the input's shape, spacing, text_prompts.
      expect(ref.keys, name).toEqual(['segs', 'spacing', 'text_prompts']);
      expect(ref.dtype, name).toBe('int16');
      expect(ref.shape, name).toEqual(ref.imageShape);
      expect(ref.spacing, name).toEqual(ref.inputSpacing);
      expect(ref.promptsEqual, name).toBe(true);

      const evalDir = path.join(dir, 'evaluate', name);
      const e = await runCli('evaluate', '--pred', cases[k].output, '--gt', cases[k].gt, '--out', evalDir);
      expect(e.code, e.stderr).toBe(0);
      const m = readJson<{
        task: string;
        dsc?: number;
        nsd?: number;
        f1?: number;
        dsc_tp?: number;
        classes: { value: number; dsc: number; nsd: number }[];
      }>(path.join(evalDir, 'metrics.json'));
      expect(m.task, name).toBe(ref.task);
      if (name === INSTANCE) {
        expect(ref.task).toBe('instance');
        // The phantom model finds the lesions (lesion-task.test.ts: F1 >= 0.9 on these seeds).
        expect(ref.f1!).toBeGreaterThanOrEqual(0.9);
        expect(Math.abs(m.f1! - ref.f1!)).toBeLessThan(1e-12);
        expect(Math.abs(m.dsc_tp! - ref.dscTp!)).toBeLessThan(1e-12);
      } else {
        expect(ref.task).toBe('semantic');
        expect(ref.classes!.map((c) => c.label)).toEqual([1, 2, 3, 4, 5]);
        expect(ref.dsc!, name).toBeGreaterThan(0.85);
        expect(m.classes.map((c) => c.value)).toEqual([1, 2, 3, 4, 5]);
        m.classes.forEach((c, i) => {
          expect(Math.abs(c.dsc - ref.classes![i].dsc), `${name} ${c.value}`).toBeLessThan(1e-12);
          expect(Math.abs(c.nsd - ref.classes![i].nsd), `${name} ${c.value}`).toBeLessThan(1e-6);
        });
        expect(Math.abs(m.dsc! - ref.dsc!)).toBeLessThan(1e-12);
        expect(Math.abs(m.nsd! - ref.nsd!)).toBeLessThan(1e-6);
      }
    }
  }, 300_000);

  it('a missing or empty INPUT_DIR, a missing model or OUTPUT_DIR = INPUT_DIR is one named error, nothing written', async () => {
    const missing = await runCli(
      'predict',
      path.join(dir, 'nowhere'),
      path.join(dir, 'o1'),
      '--model',
      model,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`NOT_FOUND: input folder not found: ${path.join(dir, 'nowhere')}`);
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    await writeFile(path.join(empty, 'readme.txt'), 'no cases here');
    const none = await runCli('predict', empty, path.join(dir, 'o2'), '--model', model);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(
      `INVALID_INPUT: input folder ${empty} holds no .npz files (challenge cases) to predict`,
    );
    const same = await runCli('predict', inputs, inputs, '--model', model);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/^USAGE: OUTPUT_DIR must be another folder than INPUT_DIR/);
    const noModel = await runCli(
      'predict',
      inputs,
      path.join(dir, 'o3'),
      '--model',
      path.join(dir, 'no-model'),
    );
    expect(noModel.code).toBe(1);
    expect(noModel.stderr.trim()).toBe(`NOT_FOUND: model folder not found: ${path.join(dir, 'no-model')}`);
    expect(existsSync(path.join(dir, 'o3'))).toBe(false);
    expect(existsSync(path.join(dir, 'o1'))).toBe(false);
    expect(existsSync(path.join(dir, 'o2'))).toBe(false);
  });

  describe('predict.sh on the host (compiled entry point)', () => {
    const sh = path.resolve('functions/steps/segment/predict.sh');
    const env = (folders: { in: string; out: string; tmp: string }) => ({
      ...process.env,
      MEDALS_HOME: path.resolve('.'),
      MEDALS_INPUTS: folders.in,
      MEDALS_OUTPUTS: folders.out,
      MEDALS_MODEL: model,
      MEDALS_DEVICE: 'cpu',
      TMPDIR: folders.tmp,
    });

    beforeAll(() => {
      if (!existsSync('dist/functions/tools/cli/main.js'))
        throw new Error('run `npm run build` before the tests');
    });

    it('runs in a /workspace-like folder with the folders from the environment: the same output bytes', async () => {
      const workspace = path.join(dir, 'workspace');
      const folders = {
        in: path.join(workspace, 'in'),
        out: path.join(workspace, 'out'),
        tmp: path.join(workspace, 'tmp'),
      };
      await mkdir(folders.in, { recursive: true });
      await mkdir(folders.tmp);
      await copyFile(path.join(inputs, SEMANTIC[0]), path.join(folders.in, SEMANTIC[0]));
      const r = spawnSync('sh', [sh], {
        cwd: workspace,
        env: env(folders),
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^case-1\.npz\t\d+\.\d s\t5 of 5 classes found: 1, 2, 3, 4, 5\n$/);
      expect(readdirSync(folders.out)).toEqual([SEMANTIC[0]]);
      expect(workFolders(folders.tmp)).toEqual([]);
      // Same input, model and device as the in-process run: the same file.
      expect(readFileSync(path.join(folders.out, SEMANTIC[0]))).toEqual(
        readFileSync(path.join(outputs, SEMANTIC[0])),
      );
    }, 300_000);

    it('defaults to /workspace/inputs and /workspace/outputs, and the challenge image puts it in /workspace', () => {
      if (existsSync('/workspace/inputs'))
        return void console.warn('skipped: this host has /workspace/inputs');
      const r = spawnSync('sh', [sh], {
        env: { ...process.env, MEDALS_HOME: path.resolve('.'), MEDALS_MODEL: model },
        encoding: 'utf8',
      });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe('NOT_FOUND: input folder not found: /workspace/inputs');
      // The Dockerfile cannot be built here: check the challenge target's layout, and that the
      // Segment job's image is still the default (last) target.
      const docker = readFileSync('functions/steps/segment/Dockerfile', 'utf8');
      const stages = docker.split(/^FROM /m).slice(1);
      const challenge = stages.find((st) => /^runtime AS challenge\n/.test(st)) ?? '';
      expect(challenge).toMatch(/^WORKDIR \/workspace$/m);
      expect(challenge).toMatch(/^COPY functions\/steps\/segment\/predict\.sh \/workspace\/predict\.sh$/m);
      expect(challenge).toMatch(/^COPY \$\{MODEL_DIR\} \/opt\/medals\/model$/m);
      expect(challenge).toMatch(/sha256sum -c/);
      expect(stages[stages.length - 1]).toMatch(
        /^runtime AS segment\nCMD \["node", "dist\/functions\/steps\/segment\/task\.js"\]/,
      );
    });

    it('stopped (SIGTERM) mid-case: its work folder removed, nothing in the outputs', async () => {
      const workspace = path.join(dir, 'stopped');
      const folders = {
        in: path.join(workspace, 'in'),
        out: path.join(workspace, 'out'),
        tmp: path.join(workspace, 'tmp'),
      };
      await mkdir(folders.in, { recursive: true });
      await mkdir(folders.tmp);
      await copyFile(path.join(inputs, SEMANTIC[1]), path.join(folders.in, SEMANTIC[1]));
      // sh execs node, so the signal reaches medals itself.
      const child = spawn('sh', [sh], {
        cwd: workspace,
        env: env(folders),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_c, s) => resolve(s)));
      // Wait until the case is running (the workflow reached Segment), then stop it.
      const deadline = Date.now() + 120_000;
      while (!stderr.includes('Segment') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(stderr).toContain('Segment');
      expect(workFolders(folders.tmp)).toHaveLength(1);
      child.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
      expect(workFolders(folders.tmp)).toEqual([]);
      expect(readdirSync(folders.out)).toEqual([]);
    }, 300_000);
  });
});
