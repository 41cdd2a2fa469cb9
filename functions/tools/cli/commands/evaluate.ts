/**
 * `medals evaluate --pred P --gt G [--prompts F] [--tolerance MM] [--instance] [--out DIR]`:
 * the challenge metrics of a prediction against its ground truth, printed as a table and
 * written as metrics.json into --out (default: the current directory).
 *
 * Inputs: two images in any ITK format (NIfTI, NRRD, MHA, ...) of the same geometry, or two
 * challenge npz files: the ground truth's `gts` and `spacing` (applied to (D, H, W) as the
 * evaluator does, evaluatorSpacing) and the prediction's `segs` (nothing else is needed from
 * it). Classes are scored by label value: the values of --prompts (a JSON object value -> name,
 * as prompts.json), else the keys of the ground-truth npz's `text_prompts`, else every label of
 * the ground truth. An instance task is asked for with --instance, or by `"instance_label": 1`
 * in the prompts or the npz's text_prompts.
 */
import type { Command } from 'commander';
import { UsageError } from '../../../lib/core/errors.js';
import { fixed } from '../../../lib/core/format.js';
import { joinUri } from '../../../lib/storage/index.js';
import type { MetricsDocument } from '../../../lib/metrics/outputs.js';
import type { CliIo } from '../common/io.js';
import { resolveLocal } from '../common/options.js';
import { alignTable } from '../common/table.js';

interface EvaluateOptions {
  pred: string;
  gt: string;
  prompts?: string;
  tolerance?: string;
  instance?: boolean;
  out?: string;
}

const f4 = (v: number) => fixed(v, 4, 'nan');

/** The table `medals evaluate` prints. */
function metricsTable(doc: MetricsDocument): string {
  if (doc.task === 'instance') {
    const c = doc.classes[0];
    const rows = [
      ['class', 'F1', 'DSC TP', 'precision', 'recall', 'TP', 'FP', 'FN', 'gt instances', 'pred instances'],
      [
        c.value === null ? 'instances' : `${c.value} ${c.name ?? ''}`.trim(),
        f4(doc.f1),
        f4(doc.dsc_tp),
        f4(doc.precision),
        f4(doc.recall),
        String(doc.tp),
        String(doc.fp),
        String(doc.fn),
        String(c.gt_instances),
        String(c.pred_instances),
      ],
    ];
    return `${alignTable(rows)}\n`;
  }
  const rows = [['value', 'class', 'DSC', 'NSD', 'gt voxels', 'pred voxels']];
  for (const c of doc.classes) {
    rows.push([
      String(c.value),
      c.name ?? '',
      f4(c.dsc),
      f4(c.nsd),
      String(c.gt_voxels),
      String(c.pred_voxels),
    ]);
  }
  rows.push([`case`, `mean of ${doc.classes.length}`, f4(doc.dsc), f4(doc.nsd), '', '']);
  let text = `${alignTable(rows)}\n`;
  if (doc.not_in_ground_truth.length > 0) {
    const list = doc.not_in_ground_truth
      .map((c) => (c.name ? `${c.value} (${c.name})` : String(c.value)))
      .join(', ');
    text += `not in the ground truth, not scored: ${list}\n`;
  }
  return text;
}

function parseTolerance(text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < 0) {
    throw new UsageError(`--tolerance must be a number of mm >= 0, got '${text}'`);
  }
  return v;
}

export function registerEvaluate(program: Command, io: CliIo): void {
  program
    .command('evaluate')
    .description(
      'challenge-identical metrics of a prediction against its ground truth (DSC and NSD, or F1 and DSC TP ' +
        'with --instance), labels scored by value; prints a table and writes metrics.json',
    )
    .requiredOption(
      '--pred <file>',
      'prediction: an image (NIfTI, NRRD, MHA, ...) or a challenge npz with segs',
    )
    .requiredOption(
      '--gt <file>',
      'ground truth: an image of the same geometry, or a challenge npz with gts and spacing',
    )
    .option(
      '--prompts <file.json>',
      'label values to score, {"1": "liver", ...} (default: the npz text_prompts, else every ground-truth label)',
    )
    .option('--tolerance <mm>', "NSD tolerance in mm (default 2.0, the challenge's)")
    .option('--instance', 'instance task: F1 and DSC TP of 6-connected instances matched at IoU >= 0.5')
    .option('--out <dir>', 'folder for metrics.json (default: the current directory)')
    .action(async (opts: EvaluateOptions) => {
      const [{ evaluateFiles }, { writeMetricsJson }] = await Promise.all([
        import('../../../lib/metrics/evaluate.js'),
        import('../../../lib/metrics/outputs.js'),
      ]);
      const tolerance = opts.tolerance === undefined ? undefined : parseTolerance(opts.tolerance);
      const { document, labels } = await evaluateFiles({
        gt: opts.gt,
        pred: opts.pred,
        ...(opts.prompts !== undefined ? { prompts: opts.prompts } : {}),
        ...(tolerance !== undefined ? { tolerance } : {}),
        ...(opts.instance ? { instance: true } : {}),
      });
      const out = resolveLocal(opts.out ?? process.cwd());
      const file = await writeMetricsJson(joinUri(out, 'metrics.json'), document);
      const task =
        document.task === 'instance' ? 'instance task' : `semantic task, NSD at ${document.tolerance_mm} mm`;
      io.stderr(`${task}; labels from ${labels.source}\n`);
      io.stdout(metricsTable(document));
      io.stdout(`${file}\n`);
    });
}
