/**
 * `medals submit`, `status` and `cancel` (issue 8) against a real s3rver standing in for the
 * deployment's bucket, with the upload trigger run locally on the server's own notifications
 * (as test/steps/start-case/upload-trigger.test.ts): estimate and budget before anything is
 * uploaded, the image before the request, results downloaded with --wait, and cancel naming the
 * very execution the trigger started. Only Step Functions' StopExecution and DescribeExecution
 * (AWS APIs) are replaced: a recorder and a table of answers.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../functions/tools/cli/main.js';
import { storageFor } from '../../functions/lib/storage/index.js';
import { writePhantom } from '../../functions/tools/phantom/write-phantom.js';
import { ensureModel } from '../../models/generate/index.js';
import { startCase } from '../../functions/steps/start-case/handler.js';
import { DEFAULT_PRICES, estimateCase, priceTable } from '../../functions/tools/submit/pricing.js';
import { type ExecutionState, cancelCase, caseStatus } from '../../functions/tools/submit/submit.js';
import { LocalCaseStarter } from '../../workflows/local-starter.js';
import { useS3rverStorage } from '../helpers/s3rver.js';
import { recordingIo } from '../helpers/cli-io.js';
import { tempDir } from '../helpers/tmp.js';

describe('cost estimates', () => {
  it('add GPU, Lambda, Step Functions and S3 as the table says', () => {
    const p = DEFAULT_PRICES;
    const e = estimateCase(2e6, p);
    expect(e.gpuSeconds).toBeCloseTo(p.gpuSecondsPerCase + 2 * p.gpuSecondsPerMegavoxel, 12);
    expect(e.lambdaGbSeconds).toBeCloseTo(p.lambdaGbSecondsPerCase + 2 * p.lambdaGbSecondsPerMegavoxel, 12);
    const expected =
      (e.gpuSeconds / 3600) * p.gpuInstancePerHour +
      e.lambdaGbSeconds * p.lambdaPerGbSecond +
      p.transitionsPerCase * p.stepFunctionsPerTransition +
      p.s3PerCase;
    expect(e.usd).toBeCloseTo(expected, 12);
    expect(priceTable({ gpuInstancePerHour: 2 }).gpuInstancePerHour).toBe(2);
    expect(() => priceTable({ gpuInstancePerHour: -1 })).toThrow(/gpuInstancePerHour/);
    expect(() => priceTable({ typo: 1 })).toThrow(/price table/);
  });
});

describe('medals submit on s3rver', () => {
  const dir = tempDir('medals-submit-');
  const s3 = useS3rverStorage('medals-deploy');
  let image: string;
  let prompts: string;

  beforeAll(async () => {
    const w = await writePhantom(path.join(dir, 'phantom'), { seed: 6 });
    image = w.files.image;
    prompts = w.files.prompts;
  });

  it('estimates, and refuses past the budget before uploading anything', async () => {
    const io = recordingIo();
    expect(await main(['submit', image, '--estimate'], io.io)).toBe(0);
    expect(io.stdout()).toMatch(/^image +[\d.e+]+ +\d+ +\d+ +\$\d/m);
    expect(io.stdout()).toMatch(/^total +\$\d/m);
    const refused = recordingIo();
    const code = await main(['submit', image, '--bucket', s3.bucket, '--budget', '0.0001'], refused.io);
    expect(code).toBe(1);
    expect(refused.stderr()).toMatch(/INVALID_INPUT: the estimate \$[\d.]+ exceeds the budget/);
    expect((await s3.requests()).filter((r) => r.startsWith('PUT'))).toEqual([]);
  });

  it('uploads image then request, the trigger runs it, --wait downloads the results; cancel names that run', async () => {
    const starter = new LocalCaseStarter();
    let executionName = '';
    let stop = false;
    // The deployment's side: the EventBridge rule delivering request.json creations to StartCase.
    const trigger = (async () => {
      const handled = new Set<string>();
      while (!stop) {
        const log = (await s3.events()) as {
          Records: {
            eventName: string;
            s3: { bucket: { name: string }; object: { key: string; eTag?: string } };
          }[];
        }[];
        for (const record of log.flatMap((e) => e.Records)) {
          const key = decodeURIComponent(record.s3.object.key);
          if (!record.eventName.startsWith('ObjectCreated') || handled.has(key + record.s3.object.eTag))
            continue;
          handled.add(key + record.s3.object.eTag);
          const result = await startCase(
            {
              source: 'aws.s3',
              'detail-type': 'Object Created',
              detail: {
                bucket: { name: record.s3.bucket.name },
                object: { key, etag: record.s3.object.eTag },
              },
            },
            starter,
          );
          if (result.status === 'started') executionName = result.executionName;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const io = recordingIo();
    const out = path.join(dir, 'results');
    let code: number;
    try {
      code = await main(
        [
          'submit',
          image,
          '--prompts',
          prompts,
          '--bucket',
          s3.bucket,
          '--model',
          await ensureModel('phantom'),
          '--wait',
          '--poll',
          '0.1',
          '--out',
          out,
        ],
        io.io,
      );
    } finally {
      stop = true;
      await trigger;
    }
    expect(code, io.stderr()).toBe(0);
    expect(io.stdout()).toMatch(/^image +done +\$/m);
    for (const f of ['seg.nii.gz', 'stats.json', 'report.html'])
      expect(existsSync(path.join(out, 'image', f)), f).toBe(true);
    expect(existsSync(path.join(out, 'image', 'work'))).toBe(false);
    const puts = (await s3.requests()).filter((r) => r.startsWith('PUT'));
    const imagePut = puts.findIndex((r) => r.includes('/inbox/image/image.nii.gz'));
    const requestPut = puts.findIndex((r) => r.includes('/inbox/image/request.json'));
    expect(imagePut).toBeGreaterThanOrEqual(0);
    expect(requestPut).toBeGreaterThan(imagePut);

    const status = recordingIo();
    expect(await main(['status', 'image', '--bucket', s3.bucket], status.io)).toBe(0);
    expect(status.stdout()).toMatch(/^image: done/);
    expect(await main(['status', 'nothing', '--bucket', s3.bucket], recordingIo().io)).toBe(1);

    const stopped: string[] = [];
    const machine = 'arn:aws:states:us-east-1:123456789012:stateMachine:medals-segment-case-dev';
    const arn = await cancelCase(s3.bucket, 'image', machine, async (a) => void stopped.push(a));
    expect(executionName).not.toBe('');
    expect(arn).toBe(
      `arn:aws:states:us-east-1:123456789012:execution:medals-segment-case-dev:${executionName}`,
    );
    expect(stopped).toEqual([arn]);
  });

  it('tells a case whose execution ended without error.json from a running one', async () => {
    // Submitted (its request is in the inbox) but nothing in its outbox: no trigger runs here.
    const storage = storageFor(`s3://${s3.bucket}/`);
    await storage.writeJson(`s3://${s3.bucket}/inbox/lost/request.json`, {
      image: 'image.nii.gz',
      prompts: ['liver'],
    });
    const machine = 'arn:aws:states:us-east-1:123456789012:stateMachine:medals-segment-case-dev';
    const expectedArn = await cancelCase(s3.bucket, 'lost', machine, async () => {});
    const asked: string[] = [];
    const answering = (answer: ExecutionState | undefined) => ({
      stateMachineArn: machine,
      describe: async (arn: string) => (asked.push(arn), answer),
    });

    expect((await caseStatus(s3.bucket, 'lost')).state).toBe('running'); // the outbox alone
    expect((await caseStatus(s3.bucket, 'lost', answering({ status: 'RUNNING' }))).state).toBe('running');
    expect((await caseStatus(s3.bucket, 'lost', answering(undefined))).state).toBe('running'); // not started yet
    expect(await caseStatus(s3.bucket, 'lost', answering({ status: 'ABORTED' }))).toMatchObject({
      state: 'failed',
      error: { code: 'EXECUTION_ABORTED', message: expect.stringContaining(expectedArn) },
    });
    expect(
      await caseStatus(
        s3.bucket,
        'lost',
        answering({ status: 'FAILED', error: 'States.Timeout', cause: 'too slow' }),
      ),
    ).toMatchObject({ state: 'failed', error: { code: 'States.Timeout', message: 'too slow' } });
    expect(new Set(asked)).toEqual(new Set([expectedArn]));

    // Done and failed cases are read from the outbox: Step Functions is not asked.
    asked.length = 0;
    expect((await caseStatus(s3.bucket, 'image', answering({ status: 'ABORTED' }))).state).toBe('done');
    expect(asked).toEqual([]);
  });
});
