/**
 * The AWS engine, pay per case (functions/tools/submit):
 * - `medals submit IMAGE|DIR [--prompts ...] [--bucket B] [--estimate] [--budget USD] [--wait]
 *   [--out DIR] [--model URI] [--prices FILE]`: estimates each case's cost first, refuses to
 *   start past the budget, uploads into the deployment's inbox (which starts the cases), and
 *   with --wait shows progress, downloads the results and prints what each case cost;
 * - `medals status ID [--bucket B]` and `medals cancel ID [--bucket B] [--state-machine ARN]`.
 * The bucket comes from --bucket or MEDALS_BUCKET; the state machine from --state-machine or
 * MEDALS_SEGMENT_CASE_ARN (both are outputs of the deployed stack).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { MedalsError, UsageError } from '../../../lib/core/errors.js';
import { storageFor } from '../../../lib/storage/index.js';
import type { ExecutionState, StatusOptions, SubmitCase } from '../../submit/submit.js';
import type { CliIo } from '../common/io.js';
import { alignTable } from '../common/table.js';

interface SubmitOptions {
  prompts?: string;
  bucket?: string;
  estimate?: boolean;
  budget?: string;
  wait?: boolean;
  out?: string;
  model?: string;
  prices?: string;
  poll: string;
}

function bucketOf(option: string | undefined): string {
  const bucket = option ?? process.env.MEDALS_BUCKET;
  if (!bucket)
    throw new UsageError('--bucket is required (or set MEDALS_BUCKET): the stack output DataBucketName');
  return bucket;
}

const usd = (v: number) => `$${v.toFixed(v < 1 ? 4 : 2)}`;

function estimateTable(cases: SubmitCase[]): string {
  const rows = [['case', 'voxels', 'GPU s', 'Lambda GB-s', 'estimate']];
  for (const c of cases) {
    rows.push([
      c.name,
      c.estimate.voxels.toExponential(2),
      c.estimate.gpuSeconds.toFixed(0),
      c.estimate.lambdaGbSeconds.toFixed(0),
      usd(c.estimate.usd),
    ]);
  }
  const total = cases.reduce((s, c) => s + c.estimate.usd, 0);
  rows.push(['total', '', '', '', usd(total)]);
  return `${alignTable(rows)}\n`;
}

export function registerSubmit(program: Command, io: CliIo): void {
  program
    .command('submit')
    .description(
      'run cases on the AWS deployment (pay per case): estimate, upload, optionally wait and download',
    )
    .argument('<source>', 'an image file (NIfTI, NRRD, MHA, challenge npz) or a folder of them')
    .option(
      '--prompts <list|file.json>',
      'class names "liver,spleen" or a JSON file {"1": "liver"} (optional for an npz with text_prompts)',
    )
    .option('--bucket <name>', 'the deployment data bucket (default: MEDALS_BUCKET)')
    .option('--estimate', 'print the cost estimate and stop')
    .option('--budget <usd>', 'refuse to start when the estimate exceeds this many US dollars')
    .option('--wait', 'wait for the results, download them and print what each case cost')
    .option('--out <dir>', 'where --wait downloads results (default: <source name>-results)')
    .option('--model <uri>', 'model folder (an s3:// URI the GPU job can read)')
    .option('--prices <file.json>', 'price table overrides (see functions/tools/submit/pricing.ts)')
    .option('--poll <seconds>', 'seconds between status checks with --wait', '15')
    .action(async (source: string, opts: SubmitOptions) => {
      const { caseStatus, downloadCase, planSubmission, uploadCase } = await import('../../submit/submit.js');
      const { priceTable } = await import('../../submit/pricing.js');
      const prices = priceTable(opts.prices ? await storageFor(opts.prices).readJson(opts.prices) : {});
      const cases = await planSubmission(source, prices);
      io.stdout(estimateTable(cases));
      const total = cases.reduce((s, c) => s + c.estimate.usd, 0);
      if (opts.budget !== undefined) {
        const budget = Number(opts.budget);
        if (!Number.isFinite(budget) || budget < 0)
          throw new UsageError(`--budget must be a number of US dollars, got '${opts.budget}'`);
        if (total > budget) {
          throw new MedalsError(
            'INVALID_INPUT',
            `the estimate ${usd(total)} exceeds the budget ${usd(budget)}: nothing was submitted`,
          );
        }
      }
      if (opts.estimate) return;
      const bucket = bucketOf(opts.bucket);
      let prompts: unknown;
      if (opts.prompts?.toLowerCase().endsWith('.json'))
        prompts = await storageFor(opts.prompts).readJson(opts.prompts);
      else if (opts.prompts !== undefined) prompts = opts.prompts.split(',').map((s) => s.trim());
      const outboxes = new Map<string, string>();
      for (const c of cases) {
        const outbox = await uploadCase(bucket, c, {
          ...(prompts !== undefined ? { prompts: prompts as never } : {}),
          ...(opts.model ? { model: opts.model } : {}),
        });
        outboxes.set(c.name, outbox);
        io.stderr(`submitted ${c.name}: results in ${outbox}/\n`);
      }
      if (!opts.wait) {
        io.stdout(`${cases.length} case(s) submitted; check with: medals status <case> --bucket ${bucket}\n`);
        return;
      }
      const poll = Math.max(0.05, Number(opts.poll) || 15) * 1000;
      const out = path.resolve(
        opts.out ?? `${path.basename(source).replace(/(\.nii\.gz|\.[a-z0-9]+)$/i, '')}-results`,
      );
      const pending = new Set(cases.map((c) => c.name));
      const rows = [['case', 'status', 'estimate', 'results']];
      let failed = 0;
      while (pending.size > 0) {
        for (const name of [...pending]) {
          const s = await caseStatus(bucket, name, statusOptions());
          if (s.state !== 'done' && s.state !== 'failed') continue;
          pending.delete(name);
          const c = cases.find((x) => x.name === name)!;
          const dir = path.join(out, name);
          await downloadCase(bucket, name, dir);
          if (s.state === 'failed') failed++;
          rows.push([
            name,
            s.state === 'done' ? 'done' : `failed: ${s.error.code}`,
            usd(c.estimate.usd),
            dir,
          ]);
          io.stderr(`[${cases.length - pending.size}/${cases.length}] ${name}: ${s.state}\n`);
        }
        if (pending.size > 0) await new Promise((r) => setTimeout(r, poll));
      }
      io.stdout(`${alignTable(rows)}\n`);
      if (failed > 0)
        throw new MedalsError(
          'INTERNAL',
          `${failed} of ${cases.length} case(s) failed: see error.json in their folders`,
        );
    });

  program
    .command('status')
    .description('the state of a submitted case: running, done or failed')
    .argument('<case>', 'the case name submit printed')
    .option('--bucket <name>', 'the deployment data bucket (default: MEDALS_BUCKET)')
    .option(
      '--state-machine <arn>',
      'the segment-case state machine, to tell a stopped or lost execution from a running one (default: MEDALS_SEGMENT_CASE_ARN)',
    )
    .action(async (name: string, opts: { bucket?: string; stateMachine?: string }) => {
      const { caseStatus } = await import('../../submit/submit.js');
      const s = await caseStatus(bucketOf(opts.bucket), name, statusOptions(opts.stateMachine));
      if (s.state === 'unknown') throw new MedalsError('NOT_FOUND', `no submitted case named ${name}`);
      io.stdout(
        `${name}: ${s.state}${s.state === 'failed' ? ` (${s.error.code}: ${s.error.message})` : ''}\n${s.outbox}/\n`,
      );
    });

  program
    .command('cancel')
    .description('stop a submitted case')
    .argument('<case>', 'the case name submit printed')
    .option('--bucket <name>', 'the deployment data bucket (default: MEDALS_BUCKET)')
    .option('--state-machine <arn>', 'the segment-case state machine (default: MEDALS_SEGMENT_CASE_ARN)')
    .action(async (name: string, opts: { bucket?: string; stateMachine?: string }) => {
      const { cancelCase } = await import('../../submit/submit.js');
      const arn = opts.stateMachine ?? process.env.MEDALS_SEGMENT_CASE_ARN;
      if (!arn) throw new UsageError('--state-machine is required (or set MEDALS_SEGMENT_CASE_ARN)');
      const { SFNClient, StopExecutionCommand } = await import('@aws-sdk/client-sfn');
      const client = new SFNClient({});
      const stopped = await cancelCase(bucketOf(opts.bucket), name, arn, async (executionArn) => {
        await client.send(new StopExecutionCommand({ executionArn, cause: 'cancelled with medals cancel' }));
      });
      io.stdout(`stopped ${stopped}\n`);
    });
}

/** Execution lookups for caseStatus where the state machine is known (option or environment). */
function statusOptions(stateMachine?: string): StatusOptions {
  const stateMachineArn = stateMachine ?? process.env.MEDALS_SEGMENT_CASE_ARN;
  return stateMachineArn ? { stateMachineArn, describe: describeExecution } : {};
}

/** DescribeExecution through the AWS SDK; undefined when Step Functions has no such execution. */
async function describeExecution(executionArn: string): Promise<ExecutionState | undefined> {
  const { SFNClient, DescribeExecutionCommand } = await import('@aws-sdk/client-sfn');
  try {
    const out = await new SFNClient({}).send(new DescribeExecutionCommand({ executionArn }));
    return {
      status: out.status ?? 'UNKNOWN',
      ...(out.error ? { error: out.error } : {}),
      ...(out.cause ? { cause: out.cause } : {}),
    };
  } catch (e) {
    // Not started yet (the trigger's event may still be on its way): running, as far as we know.
    if ((e as Error).name === 'ExecutionDoesNotExist') return undefined;
    throw e;
  }
}
