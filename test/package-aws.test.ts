/**
 * `npm run package:aws` (osls package) runs offline with no AWS credentials and writes the
 * CloudFormation template; the Lambda zips hold everything their handlers import.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const serverlessDir = join(root, '.serverless');

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
  DependsOn?: unknown;
}

let template: { Resources: Record<string, Resource>; Outputs?: Json };
let seconds = 0;
const scratch: string[] = [];

function resourcesOfType(type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** Enough of the zip format for what osls writes: stored or deflated entries. */
function unzip(buffer: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const eocd = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file');
  const count = buffer.readUInt16LE(eocd + 10);
  let p = buffer.readUInt32LE(eocd + 16);
  for (let i = 0; i < count; i++) {
    if (buffer.readUInt32LE(p) !== 0x02014b50) throw new Error('bad zip central directory');
    const method = buffer.readUInt16LE(p + 10);
    const size = buffer.readUInt32LE(p + 20);
    const nameLength = buffer.readUInt16LE(p + 28);
    const extraLength = buffer.readUInt16LE(p + 30);
    const commentLength = buffer.readUInt16LE(p + 32);
    const local = buffer.readUInt32LE(p + 42);
    const name = buffer.toString('utf8', p + 46, p + 46 + nameLength);
    const start = local + 30 + buffer.readUInt16LE(local + 26) + buffer.readUInt16LE(local + 28);
    const data = buffer.subarray(start, start + size);
    if (!name.endsWith('/')) files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    p += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

/** Extracts a Lambda zip into a fresh folder outside the project (no node_modules above it). */
async function extract(zip: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'medals-lambda-'));
  scratch.push(dir);
  for (const [name, data] of unzip(await readFile(join(serverlessDir, zip)))) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), data);
  }
  return dir;
}

/** Invokes `handler` the way the Lambda Node.js runtime would, in a plain node process. */
async function invoke(dir: string, handlerPath: string, event: unknown): Promise<unknown> {
  const script = `
    const { handler } = await import(${JSON.stringify(`./${handlerPath}`)});
    try {
      console.log(JSON.stringify({ ok: await handler(${JSON.stringify(event)}, {}) }));
    } catch (e) {
      console.log(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
    }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
  return JSON.parse(stdout) as unknown;
}

beforeAll(async () => {
  await rm(serverlessDir, { recursive: true, force: true });
  // No credentials anywhere: no keys, no profiles, no instance metadata.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  Object.assign(env, {
    AWS_CONFIG_FILE: join(tmpdir(), 'medals-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'medals-no-aws-credentials'),
  });
  const started = performance.now();
  await run('npm', ['run', 'package:aws'], { cwd: root, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  seconds = (performance.now() - started) / 1000;
  const text = await readFile(join(serverlessDir, 'cloudformation-template-update-stack.json'), 'utf8');
  template = JSON.parse(text) as typeof template;
}, 120_000);

afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm run package:aws', () => {
  it('packages offline, without credentials, in well under a minute', () => {
    expect(seconds).toBeLessThan(60);
  });

  it('has both Lambdas on nodejs20.x pointing at the compiled handlers', () => {
    const lambdas = Object.fromEntries(resourcesOfType('AWS::Lambda::Function'));
    expect(Object.keys(lambdas).sort()).toEqual(['RecordFailureLambdaFunction', 'ValidateLambdaFunction']);
    expect(lambdas.ValidateLambdaFunction!.Properties).toMatchObject({
      Handler: 'dist/lambda/validate/handler.handler',
      Runtime: 'nodejs20.x',
    });
    expect(lambdas.RecordFailureLambdaFunction!.Properties).toMatchObject({
      Handler: 'dist/lambda/recordFailure/handler.handler',
      Runtime: 'nodejs20.x',
    });
  });

  it('has the state machine from workflows/validate-request.asl.json with its ARNs substituted', async () => {
    const machines = resourcesOfType('AWS::StepFunctions::StateMachine');
    expect(machines.map(([id]) => id)).toEqual(['ValidateRequestStateMachine']);
    const props = machines[0]![1].Properties;
    expect(typeof props.DefinitionString).toBe('string'); // no Fn::Sub: placeholders stay for CloudFormation
    const deployed = JSON.parse(props.DefinitionString as string) as { States: Record<string, Json> };
    const source = JSON.parse(
      await readFile(join(root, 'workflows/validate-request.asl.json'), 'utf8'),
    ) as typeof deployed;
    // serverless-step-functions' validator adds QueryLanguage: JSONPath (the default) to each state.
    for (const state of Object.values(deployed.States)) delete state.QueryLanguage;
    expect(deployed).toEqual(source);

    expect(props.DefinitionSubstitutions).toEqual({
      ValidateFunctionArn: { 'Fn::GetAtt': ['ValidateLambdaFunction', 'Arn'] },
      RecordFailureFunctionArn: { 'Fn::GetAtt': ['RecordFailureLambdaFunction', 'Arn'] },
    });
    const placeholders = [...(props.DefinitionString as string).matchAll(/"\$\{([^}]+)\}"/g)].map(
      (m) => m[1],
    );
    expect(new Set(placeholders)).toEqual(new Set(Object.keys(props.DefinitionSubstitutions as Json)));
  });

  it('lets the state machine invoke exactly its two Lambdas and nothing else', () => {
    const role = template.Resources.ValidateRequestStateMachineRole!;
    expect(role.Type).toBe('AWS::IAM::Role');
    const machine = template.Resources.ValidateRequestStateMachine!;
    expect(machine.Properties.RoleArn).toEqual({ 'Fn::GetAtt': ['ValidateRequestStateMachineRole', 'Arn'] });
    const statements = (role.Properties.Policies as { PolicyDocument: { Statement: Json[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    expect(statements).toHaveLength(1);
    expect(statements[0]).toEqual({
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: [
        { 'Fn::GetAtt': ['ValidateLambdaFunction', 'Arn'] },
        { 'Fn::GetAtt': ['RecordFailureLambdaFunction', 'Arn'] },
      ],
    });
  });

  it('gives the Lambdas no permissions beyond their own logs', () => {
    const role = template.Resources.IamRoleLambdaExecution!;
    const statements = (role.Properties.Policies as { PolicyDocument: { Statement: Json[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    );
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const action of [s.Action].flat()) expect(String(action)).toMatch(/^logs:/);
    }
  });

  it('has an encrypted private data bucket that refuses plain HTTP', () => {
    const bucket = template.Resources.DataBucket!;
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    const sse = (bucket.Properties.BucketEncryption as { ServerSideEncryptionConfiguration: Json[] })
      .ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault as Json;
    expect(['AES256', 'aws:kms', 'aws:kms:dsse']).toContain(sse.SSEAlgorithm);
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = resourcesOfType('AWS::S3::BucketPolicy').find(
      ([, r]) => JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: 'DataBucket' }),
    );
    expect(JSON.stringify(policy?.[1].Properties.PolicyDocument)).toContain('"aws:SecureTransport":false');
  });

  it('ships Lambda zips that run on their own (ESM, runtime dependencies included, no dev stuff)', async () => {
    const validateDir = await extract('validate.zip');
    const names = [...unzip(await readFile(join(serverlessDir, 'validate.zip'))).keys()];
    expect(names).toContain('dist/lambda/validate/handler.mjs');
    expect(names.some((n) => /^(test|native|workflows)\/|\.ts$|node_modules\//.test(n))).toBe(false);

    const request = { image: 's3://bucket/case.nii.gz', prompts: ['liver'], output: 's3://bucket/out/' };
    expect(await invoke(validateDir, 'dist/lambda/validate/handler.mjs', { request })).toEqual({
      ok: { request, valid: true },
    });
    const refused = (await invoke(validateDir, 'dist/lambda/validate/handler.mjs', {
      request: { prompts: ['liver'], output: 's3://bucket/out/' },
    })) as { errorType: string; errorMessage: string };
    expect(refused.errorType).toBe('INVALID_INPUT');
    expect(refused.errorMessage).toMatch(/'image'/);

    const recordDir = await extract('recordFailure.zip');
    const cause = JSON.stringify({
      errorType: 'INVALID_INPUT',
      errorMessage: "missing required field 'image'",
    });
    expect(
      await invoke(recordDir, 'dist/lambda/recordFailure/handler.mjs', {
        error: { Error: 'INVALID_INPUT', Cause: cause },
      }),
    ).toEqual({ ok: { code: 'INVALID_INPUT', message: "missing required field 'image'" } });
  });
});
