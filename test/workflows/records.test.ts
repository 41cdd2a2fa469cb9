/**
 * The records between steps: what the ASL hands each step is exactly what that step's schema
 * parses, and a record that is wrong is refused with a message naming the field.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CASE_FILES, caseFile } from '../../functions/lib/case/case-files.js';
import { parseRecord } from '../../functions/lib/case/records.js';
import { packageRoot } from '../../functions/lib/core/package-info.js';
import { preprocessOutputSchema, preprocessRecordSchema } from '../../functions/steps/preprocess/record.js';
import { restoreInputSchema, restoreOutputSchema } from '../../functions/steps/restore/record.js';
import { segmentOutputSchema } from '../../functions/steps/segment/record.js';

interface AslState {
  Parameters?: Record<string, string>;
}
const asl = JSON.parse(
  readFileSync(path.join(packageRoot(), 'workflows', 'segment-case.asl.json'), 'utf8'),
) as { States: Record<string, AslState> };

const keysOf = (params: Record<string, string> | undefined) =>
  Object.keys(params ?? {})
    .map((k) => k.replace(/\.\$$/, ''))
    .sort();

/** Evaluates the one intrinsic the Pass state uses: States.Format('{}/x', $.request.output). */
function formatted(expression: string, output: string): string {
  const m = /^States\.Format\('\{\}\/([^']+)', \$\.request\.output\)$/.exec(expression);
  if (!m) throw new Error(`unexpected expression ${expression}`);
  return `${output}/${m[1]}`;
}

describe('records between the steps of segment-case', () => {
  it("SegmentOutputs builds Segment's output schema, naming the files Segment writes", () => {
    const params = asl.States.SegmentOutputs.Parameters!;
    expect(keysOf(params)).toEqual(Object.keys(segmentOutputSchema.shape).sort());
    const output = '/cases/c1';
    for (const file of ['segment', 'working', 'maxProbability'] as const)
      expect(formatted(params[`${file}.$`], output), file).toBe(caseFile(output, file));
  });

  it('each Task state passes exactly what its handler parses', () => {
    expect(keysOf(asl.States.Restore.Parameters)).toEqual(Object.keys(restoreInputSchema.shape).sort());
    expect(keysOf(asl.States.MetricsReport.Parameters)).toEqual(
      Object.keys(restoreOutputSchema.shape)
        .filter((k) => k !== 'segNpz')
        .sort(),
    );
    expect(CASE_FILES.restore).toBe('restore.json');
  });

  it('refuses a state or a record that does not follow its schema, naming the field', () => {
    expect(() =>
      parseRecord(preprocessOutputSchema, { request: {}, model: 'm' }, 'the Segment step input'),
    ).toThrow(/^the Segment step input is not a valid record: preprocess: /);
    try {
      parseRecord(preprocessRecordSchema, { input: { format: 'itk' } }, 'preprocess.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: 'INVALID_INPUT' });
      expect((e as Error).message).toMatch(/input\.kind: /);
      expect((e as Error).message).toMatch(/input\.geometry: /);
      expect((e as Error).message).toMatch(/files: /);
    }
  });
});
