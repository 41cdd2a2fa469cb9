/**
 * Load (issue 9): sweeps of small phantom npz cases at concurrency 4 on the local engine, 10
 * cases then 50, each sweep in a fresh node process so that its peak RSS is its own. Reports
 * cases per minute, peak RSS (it should stay flat as the sweep grows: each case's memory is
 * released when it ends) and the process's open file descriptors before and after (no leaks),
 * and checks every case: its metrics.json exists with a case DSC >= 0.9.
 * The children run the compiled runner from dist/ (`npm run build`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { packageRoot } from '../../functions/lib/core/package-info.js';
import { ensureModel } from '../../models/generate/index.js';
import { phantomNpz } from '../helpers/phantom-npz.js';
import { runNodeScript } from '../helpers/node-script.js';
import { tempDir } from '../helpers/tmp.js';

const CONCURRENCY = 4;

interface SweepRun {
  seconds: number;
  maxRssMiB: number;
  fdsBefore: number;
  fdsAfter: number;
  status: string;
}

function runSweep(source: string, out: string, model: string): SweepRun {
  const runner = path.join(packageRoot(), 'dist', 'workflows', 'benchmark-sweep.js');
  const script = `
    import { readdirSync } from 'node:fs';
    const { runBenchmarkSweep } = await import(${JSON.stringify(runner)});
    const fds = () => readdirSync('/proc/self/fd').length;
    const fdsBefore = fds();
    const t = process.hrtime.bigint();
    const result = await runBenchmarkSweep({ source: ${JSON.stringify(source)}, out: ${JSON.stringify(out)},
      concurrency: ${CONCURRENCY}, tolerance: 0, model: ${JSON.stringify(model)} });
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    console.log(JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024,
      fdsBefore, fdsAfter: fds(), status: result.status }));`;
  return runNodeScript<SweepRun>(script, { timeoutMs: 1_500_000, maxBuffer: 64 * 1024 * 1024 });
}

describe('load', () => {
  it(`sweeps of 10 and 50 phantoms at concurrency ${CONCURRENCY}: throughput, peak RSS, file handles`, async () => {
    const dir = tempDir('medals-load-');
    const model = await ensureModel('phantom');
    const lines = [
      '',
      `Load: default phantom npz (128x128x48), concurrency ${CONCURRENCY}, local engine, one process per sweep`,
    ];
    const runs: SweepRun[] = [];
    for (const count of [10, 50]) {
      const data = path.join(dir, `data-${count}`);
      mkdirSync(data, { recursive: true });
      for (let k = 0; k < count; k++) writeFileSync(path.join(data, `p${k}.npz`), phantomNpz(k).bytes);
      const out = path.join(dir, `out-${count}`);
      const run = runSweep(data, out, model);
      runs.push(run);
      expect(run.status).toBe('SUCCEEDED');
      const summary = JSON.parse(readFileSync(path.join(out, 'sweep.json'), 'utf8')) as {
        succeeded: number;
        cases: { name: string; metrics?: { dsc: number | null } }[];
      };
      expect(summary.succeeded).toBe(count);
      const bad = summary.cases.filter((c) => !((c.metrics?.dsc ?? 0) >= 0.9));
      expect(bad.map((c) => `${c.name}: DSC ${c.metrics?.dsc ?? 'none'}`)).toEqual([]);
      lines.push(
        `${String(count).padStart(3)} cases: ${run.seconds.toFixed(1)} s, ${((60 * count) / run.seconds).toFixed(1)} cases/min, ` +
          `peak RSS ${run.maxRssMiB.toFixed(0)} MiB, open fds ${run.fdsBefore} -> ${run.fdsAfter}`,
      );
    }
    const growth = runs[1].maxRssMiB / runs[0].maxRssMiB;
    lines.push(`peak RSS 50 vs 10 cases: ${growth.toFixed(2)}x (flat is ~1x)`, '');
    console.log(lines.join('\n'));
  });
});
