/**
 * `medals report DIR [--image FILE] [--seg FILE] [--out FILE]`: (re)build a case's report.html
 * from its outputs (see functions/lib/report/case-folder.ts for what the folder must hold).
 */
import type { Command } from 'commander';
import { IMAGE_CANDIDATES, REPORT_CASE_FILES } from '../../../lib/report/case-files.js';
import type { CliIo } from '../common/io.js';
import { resolveLocal } from '../common/options.js';

interface ReportOptions {
  image?: string;
  seg?: string;
  out?: string;
  title?: string;
}

export function registerReport(program: Command, io: CliIo): void {
  program
    .command('report')
    .description(
      `(re)build a case's report.html from its folder: ${REPORT_CASE_FILES.seg} and the image ` +
        `(--image, provenance.json's input, or ${IMAGE_CANDIDATES.join(', ')}); stats.json, metrics.json and ` +
        'provenance.json are used when present',
    )
    .argument('<dir>', 'the case folder (a path, file:// or s3:// prefix)')
    .option('--image <file>', 'the original image (default: found as described above)')
    .option('--seg <file>', `the label map (default: DIR/${REPORT_CASE_FILES.seg})`)
    .option('--out <file>', `where to write the report (default: DIR/${REPORT_CASE_FILES.report})`)
    .option('--title <text>', 'the page title')
    .action(async (dir: string, opts: ReportOptions) => {
      const { rebuildReport } = await import('../../../lib/report/index.js');
      const result = await rebuildReport(resolveLocal(dir), {
        ...(opts.image !== undefined ? { image: resolveLocal(opts.image) } : {}),
        ...(opts.seg !== undefined ? { seg: resolveLocal(opts.seg) } : {}),
        ...(opts.out !== undefined ? { out: resolveLocal(opts.out) } : {}),
        ...(opts.title !== undefined ? { title: opts.title } : {}),
      });
      io.stderr(
        `report of ${result.classes.length} class(es), ${result.overlays} overlays, viewer ${result.viewer.size.join('x')} voxels, ` +
          `${(result.bytes / 1e6).toFixed(1)} MB${result.statsComputed ? '; statistics computed (no usable stats.json)' : ''}\n`,
      );
      io.stdout(`${result.uri}\n`);
    });
}
