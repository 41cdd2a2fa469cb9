/**
 * `medals sweep MANIFEST|DIR [--concurrency N] [--tolerance PCT] [--out DIR] [--model DIR]
 * [--previous FILE]`: a benchmark sweep on the local engine (workflows/benchmark-sweep.ts). One
 * output folder per case named after its input file (or the manifest's name/id), error.json in
 * it for a failed case, the cohort tables at the top; cases whose outputs are complete are not
 * run again. Exits 0 when failures stay within the tolerance.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../../lib/core/errors.js';
import { fixed } from '../../../lib/core/format.js';
import { storageFor } from '../../../lib/storage/index.js';
import type { SweepCaseResult, SweepSummary } from '../../../steps/aggregate-sweep/handler.js';
import type { CliIo } from '../common/io.js';
import { resolveLocal } from '../common/options.js';
import { progressTo } from '../common/progress.js';
import { alignTable } from '../common/table.js';

interface SweepOptions {
  concurrency: string;
  tolerance: string;
  out?: string;
  model?: string;
  previous?: string;
}

function numberOption(option: string, text: string, min: number, max: number, integer: boolean): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new UsageError(
      `${option} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got '${text}'`,
    );
  }
  return v;
}

const f4 = (v: number | null | undefined) => fixed(v, 4, '-');

export function registerSweep(program: Command, io: CliIo): void {
  program
    .command('sweep')
    .description(
      'run many cases (a JSONL manifest of case requests, or a folder of challenge npz files) and aggregate their metrics',
    )
    .argument(
      '<source>',
      'a .jsonl manifest (one case request per line) or a folder of .npz files (path or s3:// URI)',
    )
    .option('--concurrency <n>', 'cases run at once', '4')
    .option(
      '--tolerance <pct>',
      'failed cases tolerated, in percent of all the cases (a resumed sweep counts its complete ones)',
      '25',
    )
    .option('--out <dir>', 'output folder (default: <source name>-sweep)')
    .option('--model <dir>', 'model folder for every case (default: the generated phantom model)')
    .option(
      '--previous <cohort.json>',
      'compare with this cohort (default: the one a previous sweep left in --out)',
    )
    .action(async (source: string, opts: SweepOptions) => {
      const [{ ensureModel }, { runBenchmarkSweep }, { failureOf }] = await Promise.all([
        import('../../../../models/generate/index.js'),
        import('../../../../workflows/benchmark-sweep.js'),
        import('../common/run-case.js'),
      ]);
      const concurrency = numberOption('--concurrency', opts.concurrency, 1, 10_000, true);
      const tolerance = numberOption('--tolerance', opts.tolerance, 0, 100, false);
      const base = path.basename(source.replace(/\/+$/, '')).replace(/\.[a-z0-9]+$/i, '') || 'sweep';
      const out = opts.out ? resolveLocal(opts.out) : path.resolve(`${base}-sweep`);
      const bar = progressTo(process.stderr);
      const result = await runBenchmarkSweep(
        {
          source: resolveLocal(source),
          out,
          concurrency,
          tolerance,
          // A case without its own model runs the generated phantom model, made here: workflow
          // steps never generate one.
          model: opts.model ? resolveLocal(opts.model) : await ensureModel('phantom'),
          ...(opts.previous ? { previous: resolveLocal(opts.previous) } : {}),
        },
        {
          onPrepared: (s) =>
            io.stderr(
              `${s.total} cases: ${s.toRun} to run, ${s.complete} already complete (outputs in ${s.out})\n`,
            ),
          onCase: (p) => {
            // A line per finished case; on a terminal, a bar for the whole sweep under them.
            bar.done();
            io.stderr(
              `[${p.done}/${p.toRun}] ${p.name}: ${p.status === 'SUCCEEDED' ? 'done' : `FAILED (${p.error ?? 'error'})`}\n`,
            );
            if (process.stderr.isTTY && p.done < p.toRun) bar.update('sweep', p.done, p.toRun);
          },
        },
      );
      bar.done();
      const summaryUri = path.join(out, 'sweep.json');
      const summary = (await storageFor(summaryUri)
        .readJson<SweepSummary & { cases: SweepCaseResult[] }>(summaryUri)
        .catch(() => null)) as (SweepSummary & { cases: SweepCaseResult[] }) | null;
      if (summary) {
        const rows = [['case', 'status', 'DSC', 'NSD', 'F1', 'error']];
        for (const c of summary.cases) {
          rows.push([
            c.name,
            c.status + (c.ranNow ? '' : ' (earlier)'),
            f4(c.metrics?.dsc),
            f4(c.metrics?.nsd),
            f4(c.metrics?.f1),
            c.error ? `${c.error.code}: ${c.error.message.split('\n')[0]}` : '',
          ]);
        }
        io.stdout(`${alignTable(rows)}\n`);
        io.stdout(
          `${summary.succeeded} of ${summary.total} cases succeeded, ${summary.failed} failed` +
            `${summary.unfinished ? `, ${summary.unfinished} unfinished` : ''}; ` +
            `failures ${summary.failedPercent.toFixed(1)} % of the cases (tolerance ${summary.tolerance} %)\n`,
        );
        for (const uri of Object.values(summary.cohort ?? {})) io.stdout(`${uri}\n`);
        io.stdout(`${summary.summary}\n`);
      }
      // The failing state's code (INVALID_INPUT for a bad manifest, SWEEP_TOLERANCE_EXCEEDED, ...).
      if (result.status !== 'SUCCEEDED') throw failureOf(result);
    });
}
