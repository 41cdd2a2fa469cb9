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
import {
  CASE_FILES,
  type CaseFile,
  WORKING_FILE_TAG,
  caseFileWriteOptions,
} from '../../functions/lib/case/case-files.js';
import {
  type Emulator,
  deployTool,
  emulatorEnv,
  skipWithout,
  stackTool,
  startEmulator,
} from './emulator/deploy-tools.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const serverlessDir = join(root, '.serverless');

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties: Json;
  DependsOn?: unknown;
}

let template: { AWSTemplateFormatVersion?: string; Resources: Record<string, Resource>; Outputs?: Json };
const scratch: string[] = [];

function resourcesOfType(type: string): [string, Resource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

function resource(id: string): Resource {
  const r = template.Resources[id];
  if (!r) throw new Error(`no resource ${id} in the template`);
  return r;
}

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const ref = (id: string) => ({ Ref: id });

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** The statements of a role's inline policies. */
function statementsOf(roleId: string): Statement[] {
  const role = resource(roleId);
  expect(role.Type).toBe('AWS::IAM::Role');
  return ((role.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
}

const actionsOf = (s: Statement) => [s.Action].flat();
const resourcesOf = (s: Statement) => [s.Resource].flat();

/** The resources a role allows `action` on. */
function allowed(roleId: string, action: string): unknown[] {
  return statementsOf(roleId)
    .filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action))
    .flatMap(resourcesOf);
}

/** `${DataBucket.Arn}/<prefix>` as the template writes it. */
const bucketObjects = (prefix: string) => ({ 'Fn::Sub': `\${DataBucket.Arn}/${prefix}` });

/** The light Lambdas (zips) and the container-image ones, with what they run. */
const ZIPPED = {
  validate: 'dist/lambda/validate/handler.handler',
  recordFailure: 'dist/lambda/recordFailure/handler.handler',
  startCase: 'dist/lambda/startCase/handler.handler',
  prepareSweep: 'dist/lambda/prepareSweep/handler.handler',
  aggregateSweep: 'dist/lambda/aggregateSweep/handler.handler',
};
const IMAGES = {
  preprocess: 'dist/functions/steps/preprocess/handler.handler',
  restore: 'dist/functions/steps/restore/handler.handler',
  metricsReport: 'dist/functions/steps/metrics-report/handler.handler',
};
const logicalId = (name: string) => `${name[0]!.toUpperCase()}${name.slice(1)}`;

/**
 * Checks a packaged state machine against its workflow file: the same definition (but for the
 * QueryLanguage the plugin adds), and exactly the file's placeholders substituted.
 */
async function checkStateMachine(id: string, file: string, substitutions: Json): Promise<void> {
  const props = resource(id).Properties;
  expect(typeof props.DefinitionString).toBe('string'); // no Fn::Sub: placeholders stay for CloudFormation
  const deployed = JSON.parse(props.DefinitionString as string) as Json;
  const source = JSON.parse(await readFile(join(root, file), 'utf8')) as Json;
  // serverless-step-functions' validator adds QueryLanguage: JSONPath (the default) to each state,
  // nested ones (a Map's ItemProcessor) included.
  const strip = (states: unknown) => {
    for (const state of Object.values(states as Record<string, Json>)) {
      delete state.QueryLanguage;
      const processor = (state.ItemProcessor ?? state.Iterator) as Json | undefined;
      if (processor) strip(processor.States);
    }
  };
  strip(deployed.States);
  expect(deployed).toEqual(source);

  expect(props.DefinitionSubstitutions).toEqual(substitutions);
  const placeholders = [...(props.DefinitionString as string).matchAll(/"\$\{([^}]+)\}"/g)].map((m) => m[1]);
  expect(placeholders.length).toBeGreaterThan(0);
  expect(new Set(placeholders)).toEqual(new Set(Object.keys(substitutions)));
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

/**
 * Invokes `handler` the way the Lambda Node.js runtime would, in a plain node process with no AWS
 * credentials or region (nothing here may reach the network).
 */
async function invoke(
  dir: string,
  handlerPath: string,
  event: unknown,
  extraEnv: Record<string, string> = {},
): Promise<unknown> {
  const script = `
    const { handler } = await import(${JSON.stringify(`./${handlerPath}`)});
    try {
      console.log(JSON.stringify({ ok: await handler(${JSON.stringify(event)}, {}) }));
    } catch (e) {
      console.log(JSON.stringify({ errorType: e.name, errorMessage: e.message }));
    }`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: dir,
    env: { ...noAwsEnv(), ...extraEnv },
  });
  return JSON.parse(stdout) as unknown;
}

/** This process's environment without AWS settings, and AWS config files that do not exist. */
function noAwsEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return Object.assign(env, {
    AWS_CONFIG_FILE: join(tmpdir(), 'medals-no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'medals-no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}

beforeAll(async () => {
  await rm(serverlessDir, { recursive: true, force: true });
  // No credentials anywhere: no keys, no profiles, no instance metadata.
  const env = noAwsEnv();
  await run('npm', ['run', 'package:aws'], { cwd: root, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  const text = await readFile(join(serverlessDir, 'cloudformation-template-update-stack.json'), 'utf8');
  template = JSON.parse(text) as typeof template;
}, 120_000);

afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('npm run package:aws', () => {
  it('packages offline, without credentials, into a CloudFormation template', () => {
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(Object.keys(template.Resources).length).toBeGreaterThan(0);
  });

  it('has the light Lambdas zipped on nodejs22.x and the heavy steps as images of one steps image', () => {
    const lambdas = Object.fromEntries(resourcesOfType('AWS::Lambda::Function'));
    const names = [...Object.keys(ZIPPED), ...Object.keys(IMAGES)];
    expect(Object.keys(lambdas).sort()).toEqual(names.map((n) => `${logicalId(n)}LambdaFunction`).sort());
    for (const [name, handler] of Object.entries(ZIPPED)) {
      const props = lambdas[`${logicalId(name)}LambdaFunction`]!.Properties;
      expect(props).toMatchObject({ Handler: handler, Runtime: 'nodejs22.x' });
      expect(props.PackageType).toBeUndefined();
    }
    const uris = new Set<unknown>();
    for (const [name, command] of Object.entries(IMAGES)) {
      const props = lambdas[`${logicalId(name)}LambdaFunction`]!.Properties;
      expect(props.PackageType).toBe('Image');
      expect(props.ImageConfig).toEqual({ Command: [command] });
      expect(props.Handler).toBeUndefined();
      expect(props.Runtime).toBeUndefined();
      // By digest: a tag would make osls ask ECR for it, which needs credentials.
      expect((props.Code as Json).ImageUri).toMatch(
        /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\/[^@]+@sha256:[0-9a-f]{64}$/,
      );
      uris.add((props.Code as Json).ImageUri);
      // Below the 900 s TimeoutSeconds of their Task states.
      expect(props.Timeout as number).toBeLessThan(900);
    }
    expect(uris.size).toBe(1);
  });

  it('has the three state machines from workflows/*.asl.json with every placeholder substituted', async () => {
    const machines = resourcesOfType('AWS::StepFunctions::StateMachine');
    expect(machines.map(([id]) => id).sort()).toEqual([
      'BenchmarkSweepStateMachine',
      'SegmentCaseStateMachine',
      'ValidateRequestStateMachine',
    ]);
    await checkStateMachine('ValidateRequestStateMachine', 'workflows/validate-request.asl.json', {
      ValidateFunctionArn: getAtt('ValidateLambdaFunction'),
      RecordFailureFunctionArn: getAtt('RecordFailureLambdaFunction'),
    });
    await checkStateMachine('SegmentCaseStateMachine', 'workflows/segment-case.asl.json', {
      ValidateFunctionArn: getAtt('ValidateLambdaFunction'),
      PreprocessFunctionArn: getAtt('PreprocessLambdaFunction'),
      GpuJobQueueArn: ref('GpuJobQueue'),
      SegmentJobDefinitionArn: ref('SegmentJobDefinition'),
      RestoreFunctionArn: getAtt('RestoreLambdaFunction'),
      MetricsReportFunctionArn: getAtt('MetricsReportLambdaFunction'),
      RecordFailureFunctionArn: getAtt('RecordFailureLambdaFunction'),
    });
    await checkStateMachine('BenchmarkSweepStateMachine', 'workflows/benchmark-sweep.asl.json', {
      PrepareSweepFunctionArn: getAtt('PrepareSweepLambdaFunction'),
      SegmentCaseStateMachineArn: ref('SegmentCaseStateMachine'),
      AggregateSweepFunctionArn: getAtt('AggregateSweepLambdaFunction'),
    });
    for (const [id, machine] of machines) {
      expect(machine.Properties.RoleArn).toEqual(getAtt(`${id}Role`));
    }
  });

  it('lets each state machine invoke exactly its own Lambdas', () => {
    const invokes = (roleId: string) => allowed(roleId, 'lambda:InvokeFunction');
    expect(invokes('ValidateRequestStateMachineRole')).toEqual([
      getAtt('ValidateLambdaFunction'),
      getAtt('RecordFailureLambdaFunction'),
    ]);
    expect(new Set(invokes('SegmentCaseStateMachineRole'))).toEqual(
      new Set(
        ['Validate', 'Preprocess', 'Restore', 'MetricsReport', 'RecordFailure'].map((n) =>
          getAtt(`${n}LambdaFunction`),
        ),
      ),
    );
    expect(new Set(invokes('BenchmarkSweepStateMachineRole'))).toEqual(
      new Set([getAtt('PrepareSweepLambdaFunction'), getAtt('AggregateSweepLambdaFunction')]),
    );
    expect(statementsOf('ValidateRequestStateMachineRole')).toHaveLength(1);
  });

  it('lets segment-case run its Batch job (.sync) on its own queue and job definition', () => {
    const role = 'SegmentCaseStateMachineRole';
    expect(allowed(role, 'batch:SubmitJob')).toEqual([
      ref('GpuJobQueue'),
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:batch:${AWS::Region}:${AWS::AccountId}:job-definition/medals-segment-dev:*',
      },
    ]);
    expect(allowed(role, 'batch:TerminateJob')).toHaveLength(1);
    expect(allowed(role, 'batch:DescribeJobs')).toEqual(['*']); // no resource-level permissions exist
    for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) {
      expect(allowed(role, action)).toEqual([
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForBatchJobsRule',
        },
      ]);
    }
    expect(
      statementsOf(role)
        .flatMap(actionsOf)
        .filter((a) => /^(s3|states):/.test(a)),
    ).toEqual([]);
  });

  it('lets benchmark-sweep start segment-case, run its Distributed Map and use its S3 locations', () => {
    const role = 'BenchmarkSweepStateMachineRole';
    const self =
      'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:medals-benchmark-sweep-dev';
    expect(allowed(role, 'states:StartExecution')).toEqual([
      ref('SegmentCaseStateMachine'),
      { 'Fn::Sub': self },
    ]);
    for (const action of ['states:DescribeExecution', 'states:StopExecution']) {
      expect(allowed(role, action)).toEqual([
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${SegmentCaseStateMachine.Name}:*',
        },
        {
          'Fn::Sub':
            'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:medals-benchmark-sweep-dev/*',
        },
      ]);
    }
    expect(allowed(role, 'events:PutRule')).toEqual([
      {
        'Fn::Sub':
          'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule',
      },
    ]);
    expect(allowed(role, 's3:GetObject')).toEqual([
      bucketObjects('sweeps/*/sweep/manifest.jsonl'),
      bucketObjects('sweeps/*/sweep/results/*'),
    ]);
    expect(allowed(role, 's3:PutObject')).toEqual([bucketObjects('sweeps/*/sweep/results/*')]);
  });

  it('runs Segment on a Batch GPU compute environment that scales to zero', () => {
    const environments = resourcesOfType('AWS::Batch::ComputeEnvironment');
    expect(environments.map(([id]) => id)).toEqual(['GpuComputeEnvironment']);
    const props = environments[0]![1].Properties;
    expect(props.Type).toBe('MANAGED');
    const compute = props.ComputeResources as Json;
    expect(compute.MinvCpus).toBe(0);
    expect(Number(compute.MaxvCpus)).toBeGreaterThan(0);
    expect(['EC2', 'SPOT']).toContain(compute.Type);
    const types = (compute.InstanceTypes as { 'Fn::Split': [string, string] })['Fn::Split'];
    const instanceTypes = types[1].split(types[0]);
    expect(instanceTypes.length).toBeGreaterThan(0);
    for (const t of instanceTypes) expect(t).toMatch(/^(g[4-6]|g6e|p[3-5])[a-z]*(\.|$)/); // NVIDIA GPU families
    expect((compute.Ec2Configuration as Json[])[0]!.ImageType).toMatch(/NVIDIA/);
    expect(compute.Subnets).toBeDefined();
    expect(compute.SecurityGroupIds).toBeDefined();

    const queue = resource('GpuJobQueue');
    expect(queue.Type).toBe('AWS::Batch::JobQueue');
    expect(queue.Properties.ComputeEnvironmentOrder).toEqual([
      { Order: 1, ComputeEnvironment: ref('GpuComputeEnvironment') },
    ]);

    const job = resource('SegmentJobDefinition');
    expect(job.Type).toBe('AWS::Batch::JobDefinition');
    const container = job.Properties.ContainerProperties as Json;
    expect(container.ResourceRequirements).toContainEqual({ Type: 'GPU', Value: '1' });
    expect(typeof container.Image).toBe('string');
    expect(container.JobRoleArn).toEqual(getAtt('SegmentJobRole'));
    const environment = container.Environment as { Name: string; Value: unknown }[];
    expect(environment.map((e) => e.Name)).toContain('MEDALS_MODEL');
    expect(job.Properties.RetryStrategy).toEqual({
      Attempts: 3,
      EvaluateOnExit: [
        { OnStatusReason: 'Host EC2*', Action: 'RETRY' },
        { OnReason: '*', Action: 'EXIT' },
      ],
    });
    // The job's role: the data bucket only.
    for (const s of statementsOf('SegmentJobRole')) {
      for (const r of resourcesOf(s)) expect(JSON.stringify(r)).toMatch(/DataBucket/);
    }
  });

  it('starts a case when inbox/<case>/request.json is uploaded (EventBridge -> startCase)', () => {
    const bucket = resource('DataBucket').Properties;
    expect(bucket.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    const rule = resource('UploadTriggerRule').Properties;
    expect(rule.State).toBe('ENABLED');
    expect(rule.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: [ref('DataBucket')] },
        object: { key: [{ wildcard: 'inbox/*/request.json' }] },
      },
    });
    const targets = rule.Targets as Json[];
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      Arn: getAtt('StartCaseLambdaFunction'),
      DeadLetterConfig: { Arn: getAtt('UploadTriggerDeadLetterQueue') },
    });
    expect(resource('UploadTriggerPermission').Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt('StartCaseLambdaFunction'),
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt('UploadTriggerRule'),
    });

    const start = resource('StartCaseLambdaFunction').Properties;
    expect((start.Environment as { Variables: Json }).Variables.MEDALS_SEGMENT_CASE_ARN).toEqual(
      ref('SegmentCaseStateMachine'),
    );
    expect(allowed('StartCaseFunctionRole', 'states:StartExecution')).toEqual([
      ref('SegmentCaseStateMachine'),
    ]);
    expect(allowed('StartCaseFunctionRole', 's3:GetObject')).toEqual([bucketObjects('inbox/*')]);
    expect(allowed('StartCaseFunctionRole', 's3:PutObject')).toEqual([bucketObjects('outbox/*')]);
  });

  it('announces ended segment-case and benchmark-sweep executions on an encrypted SNS topic', () => {
    const topic = resource('NotificationsTopic');
    expect(topic.Type).toBe('AWS::SNS::Topic');
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    const rule = resource('ExecutionStatusRule').Properties;
    expect(rule.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [ref('SegmentCaseStateMachine'), ref('BenchmarkSweepStateMachine')],
      },
    });
    expect((rule.Targets as Json[]).map((t) => t.Arn)).toEqual([ref('NotificationsTopic')]);
    const policy = resource('NotificationsTopicPolicy').Properties;
    expect(policy.Topics).toEqual([ref('NotificationsTopic')]);
    expect((policy.PolicyDocument as { Statement: Json[] }).Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: ref('NotificationsTopic'),
        Condition: { ArnEquals: { 'aws:SourceArn': getAtt('ExecutionStatusRule') } },
      },
    ]);
    // EventBridge can publish to an encrypted topic only when the key's policy lets it.
    const key = resource('NotificationsKey').Properties.KeyPolicy as { Statement: Json[] };
    expect(key.Statement).toContainEqual(
      expect.objectContaining({ Principal: { Service: 'events.amazonaws.com' } }),
    );
    expect(template.Outputs?.NotificationsTopicArn).toEqual({
      Description: expect.any(String),
      Value: ref('NotificationsTopic'),
    });
    expect(template.Outputs?.SegmentCaseStateMachineArn).toMatchObject({
      Value: ref('SegmentCaseStateMachine'),
    });
  });

  it('has a scheduled benchmark sweep, disabled by default, over the data bucket', () => {
    const schedules = resourcesOfType('AWS::Scheduler::Schedule');
    expect(schedules).toHaveLength(1);
    const props = schedules[0]![1].Properties;
    expect(props.State).toBe('DISABLED');
    expect(props.ScheduleExpression).toMatch(/^(rate|cron)\(/);
    const target = props.Target as Json;
    expect(target.Arn).toEqual(ref('BenchmarkSweepStateMachine'));
    const input = (target.Input as { 'Fn::Sub': string })['Fn::Sub'];
    const parsed = JSON.parse(input) as { source: string; out: string };
    expect(parsed.source).toMatch(/^s3:\/\/\$\{DataBucket\}\/sweeps\//);
    expect(parsed.out).toMatch(/^s3:\/\/\$\{DataBucket\}\/sweeps\//);
  });

  it('gives every Lambda its own role: its own log group and its own prefixes, nothing more', () => {
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined(); // no shared role
    const roles = new Set<string>();
    for (const name of [...Object.keys(ZIPPED), ...Object.keys(IMAGES)]) {
      const fn = resource(`${logicalId(name)}LambdaFunction`);
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      expect(roleId).toBe(`${logicalId(name)}FunctionRole`);
      roles.add(roleId);
      const logs = statementsOf(roleId).filter((s) => actionsOf(s).some((a) => a.startsWith('logs:')));
      expect(logs.flatMap(resourcesOf)).toEqual([getAtt(`${logicalId(name)}LogGroup`)]);
      for (const s of statementsOf(roleId)) {
        for (const action of actionsOf(s)) expect(action).toMatch(/^(logs|s3|states):/);
        if (!actionsOf(s).some((a) => a.startsWith('s3:'))) continue;
        for (const r of resourcesOf(s)) expect(JSON.stringify(r)).toMatch(/DataBucket/); // its own bucket only
      }
    }
    expect(roles.size).toBe(8);
    expect(statementsOf('ValidateFunctionRole')).toHaveLength(1); // logs only
    expect(allowed('PreprocessFunctionRole', 's3:PutObject')).toEqual([
      bucketObjects('outbox/*'),
      bucketObjects('sweeps/*'),
    ]);
    expect(allowed('PrepareSweepFunctionRole', 's3:PutObject')).toEqual([bucketObjects('sweeps/*')]);
  });

  it('grants no Action "*" or service wildcard, and "*" resources only where AWS requires them', () => {
    // AWS requires '*' for batch:DescribeJobs (no resource-level permissions); a key policy names
    // its own key as '*'. Deny statements may use wildcards: they take away, and spelling out a
    // Deny's actions would leave actions added later allowed (the TLS-only bucket policies).
    const requiredStar = new Set(['batch:DescribeJobs']);
    const documents: { id: string; type: string; statements: Statement[] }[] = [];
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type === 'AWS::IAM::Role') documents.push({ id, type: r.Type, statements: statementsOf(id) });
      const doc = (r.Properties?.PolicyDocument ?? r.Properties?.KeyPolicy) as
        { Statement: Statement[] } | undefined;
      if (doc) documents.push({ id, type: r.Type, statements: doc.Statement });
    }
    expect(documents.length).toBeGreaterThan(15);
    const denies: string[] = [];
    for (const { id, type, statements } of documents) {
      for (const s of statements) {
        const actions = actionsOf(s);
        if (s.Effect === 'Deny') {
          denies.push(`${id}: ${actions.join(',')}`);
          continue;
        }
        expect(s.Effect, id).toBe('Allow');
        for (const action of actions) expect(action, `${id}: ${action}`).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
        if (!resourcesOf(s).includes('*') || type === 'AWS::KMS::Key') continue;
        for (const action of actions) expect(requiredStar.has(action), `${id}: ${action} on '*'`).toBe(true);
      }
    }
    // The only Denys are the TLS-only bucket policies.
    expect(denies.sort()).toEqual(['DataBucketPolicy: s3:*', 'ServerlessDeploymentBucketPolicy: s3:*']);
    // The one AWS-managed policy: the ECS agent's on the GPU instances (pull images, report, logs).
    const managed = Object.entries(template.Resources)
      .filter(([, r]) => r.Properties?.ManagedPolicyArns)
      .map(([id, r]) => [id, JSON.stringify(r.Properties.ManagedPolicyArns)]);
    expect(managed).toEqual([
      ['GpuInstanceRole', expect.stringContaining('policy/service-role/AmazonEC2ContainerServiceforEC2Role')],
    ]);
  });

  it('keeps every role in its own S3 prefixes, listing only where it reads', () => {
    // The design, written out independently of serverless.yml: what each role reads and writes.
    const cases = ['inbox/*', 'outbox/*', 'sweeps/*'];
    const expected: Record<string, Record<string, string[]>> = {
      StartCaseFunctionRole: { 's3:GetObject': ['inbox/*'], 's3:PutObject': ['outbox/*'] },
      RecordFailureFunctionRole: {
        's3:PutObject': ['outbox/*', 'sweeps/*'],
        's3:DeleteObject': ['outbox/*', 'sweeps/*'],
      },
      PrepareSweepFunctionRole: sweepRole(),
      AggregateSweepFunctionRole: sweepRole(),
      PreprocessFunctionRole: stepRole([...cases, 'models/*'], true),
      SegmentJobRole: stepRole([...cases, 'models/*'], true),
      RestoreFunctionRole: stepRole(cases, false),
      MetricsReportFunctionRole: stepRole([...cases, 'models/*'], false),
      BenchmarkSweepStateMachineRole: {
        's3:GetObject': ['sweeps/*/sweep/manifest.jsonl', 'sweeps/*/sweep/results/*'],
        's3:PutObject': ['sweeps/*/sweep/results/*'],
        's3:ListMultipartUploadParts': ['sweeps/*/sweep/results/*'],
        's3:AbortMultipartUpload': ['sweeps/*/sweep/results/*'],
      },
    };
    function sweepRole() {
      return {
        's3:GetObject': ['sweeps/*'],
        's3:PutObject': ['sweeps/*'],
        's3:AbortMultipartUpload': ['sweeps/*'],
        's3:ListBucket': ['sweeps/*'],
      };
    }
    function stepRole(reads: string[], writesWorkingFiles: boolean) {
      const writes = ['outbox/*', 'sweeps/*'];
      return {
        's3:GetObject': reads,
        's3:PutObject': writes,
        's3:AbortMultipartUpload': writes,
        ...(writesWorkingFiles ? { 's3:PutObjectTagging': writes } : {}),
        's3:ListBucket': reads,
      };
    }
    const found: Record<string, Record<string, string[]>> = {};
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::IAM::Role') continue;
      for (const s of statementsOf(id)) {
        const actions = actionsOf(s).filter((a) => a.startsWith('s3:'));
        if (actions.length === 0) continue;
        expect(s.Effect).toBe('Allow');
        for (const action of actions) {
          let prefixes: string[];
          if (action === 's3:ListBucket') {
            // The bucket itself, narrowed by the listing's prefix.
            expect(actions, `${id}: ListBucket alone in its statement`).toEqual(['s3:ListBucket']);
            expect(s.Resource, id).toEqual(getAtt('DataBucket'));
            const condition = s.Condition as { StringLike?: Record<string, string[]> } | undefined;
            expect(Object.keys(condition ?? {}), `${id}: ListBucket needs an s3:prefix condition`).toEqual([
              'StringLike',
            ]);
            expect(Object.keys(condition!.StringLike!)).toEqual(['s3:prefix']);
            prefixes = [condition!.StringLike!['s3:prefix']!].flat();
          } else {
            expect(s.Condition, id).toBeUndefined();
            prefixes = resourcesOf(s).map((res) => {
              const sub = (res as { 'Fn::Sub'?: string })['Fn::Sub'];
              expect(sub, `${id}: ${action} on ${JSON.stringify(res)}`).toMatch(
                /^\$\{DataBucket\.Arn\}\/[a-z]/,
              );
              return sub!.slice('${DataBucket.Arn}/'.length);
            });
          }
          ((found[id] ??= {})[action] ??= []).push(...prefixes);
        }
      }
    }
    for (const actions of Object.values(found)) for (const a of Object.keys(actions)) actions[a]!.sort();
    for (const actions of Object.values(expected)) for (const a of Object.keys(actions)) actions[a]!.sort();
    expect(found).toEqual(expected);
  });

  it('gives every Lambda and the GPU job a log group with a retention period', () => {
    const groups = resourcesOfType('AWS::Logs::LogGroup');
    for (const name of [...Object.keys(ZIPPED), ...Object.keys(IMAGES)]) {
      const group = resource(`${logicalId(name)}LogGroup`);
      expect(group.Type).toBe('AWS::Logs::LogGroup');
      expect(group.Properties.LogGroupName).toBe(`/aws/lambda/medals-dev-${name}`);
      expect(resource(`${logicalId(name)}LambdaFunction`).DependsOn).toContain(`${logicalId(name)}LogGroup`);
    }
    const job = resource('SegmentJobDefinition').Properties.ContainerProperties as {
      LogConfiguration: { LogDriver: string; Options: Json };
    };
    expect(job.LogConfiguration.LogDriver).toBe('awslogs');
    expect(job.LogConfiguration.Options['awslogs-group']).toEqual(ref('SegmentJobLogGroup'));
    expect(groups.map(([id]) => id)).toContain('SegmentJobLogGroup');
    expect(groups.length).toBe(Object.keys(ZIPPED).length + Object.keys(IMAGES).length + 1);
    for (const [id, group] of groups) {
      expect(group.Properties.RetentionInDays, id).toBe(30);
    }
  });

  it('expires the working files the steps tag, and only those', () => {
    const rules = (
      resource('DataBucket').Properties.LifecycleConfiguration as {
        Rules: {
          Id: string;
          Status: string;
          TagFilters?: Json[];
          Prefix?: string;
          ExpirationInDays?: number;
        }[];
      }
    ).Rules;
    const expiring = rules.filter((r) => r.ExpirationInDays !== undefined);
    expect(expiring).toEqual([
      {
        Id: 'expire-working-files',
        Status: 'Enabled',
        TagFilters: [{ Key: WORKING_FILE_TAG.key, Value: WORKING_FILE_TAG.value }],
        ExpirationInDays: 7,
      },
    ]);
    // The tag goes on exactly the files under work/, never on what users keep.
    for (const file of Object.keys(CASE_FILES) as CaseFile[]) {
      const tags = caseFileWriteOptions(file).tags;
      if (CASE_FILES[file].startsWith('work/')) {
        expect(tags, file).toEqual({ [WORKING_FILE_TAG.key]: WORKING_FILE_TAG.value });
      } else {
        expect(tags, file).toBeUndefined();
      }
    }
    expect(rules.find((r) => r.Id === 'abort-incomplete-uploads')).toBeDefined();
  });

  it('keeps every bucket (data and deployment) private, encrypted at rest and TLS-only', () => {
    const buckets = resourcesOfType('AWS::S3::Bucket');
    expect(buckets.map(([id]) => id).sort()).toEqual(['DataBucket', 'ServerlessDeploymentBucket']);
    for (const [id, bucket] of buckets) {
      const sse = (bucket.Properties.BucketEncryption as { ServerSideEncryptionConfiguration: Json[] })
        .ServerSideEncryptionConfiguration[0]!.ServerSideEncryptionByDefault as Json;
      expect(['AES256', 'aws:kms', 'aws:kms:dsse'], id).toContain(sse.SSEAlgorithm);
      expect(bucket.Properties.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const policies = resourcesOfType('AWS::S3::BucketPolicy').filter(
        ([, r]) => JSON.stringify(r.Properties.Bucket) === JSON.stringify({ Ref: id }),
      );
      expect(policies, id).toHaveLength(1);
      const statements = (policies[0]![1].Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      const tlsOnly = statements.find(
        (st) =>
          st.Effect === 'Deny' &&
          actionsOf(st).includes('s3:*') &&
          JSON.stringify(st.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': false } }),
      );
      expect(tlsOnly, `${id}: a Deny of every request without TLS`).toBeDefined();
      // On the bucket and on every object in it.
      expect(resourcesOf(tlsOnly!).length, id).toBe(2);
    }
    // The queue and topic that hold event data are encrypted too.
    expect(resource('UploadTriggerDeadLetterQueue').Properties.SqsManagedSseEnabled).toBe(true);
    expect(resource('NotificationsTopic').Properties.KmsMasterKeyId).toEqual(ref('NotificationsKey'));
  });

  it('ships Lambda zips that run on their own (ESM, runtime dependencies included, no dev stuff)', async () => {
    for (const name of Object.keys(ZIPPED)) {
      const names = [...unzip(await readFile(join(serverlessDir, `${name}.zip`))).keys()];
      expect(names).toContain(`dist/lambda/${name}/handler.mjs`);
      expect(names.some((n) => /^(test|native|workflows)\/|\.ts$|node_modules\//.test(n))).toBe(false);
    }
    const validateDir = await extract('validate.zip');
    const request = { image: 's3://bucket/case.nii.gz', prompts: ['liver'], output: 's3://bucket/out/' };
    expect(await invoke(validateDir, 'dist/lambda/validate/handler.mjs', { request })).toEqual({
      ok: { request, valid: true, seconds: expect.any(Number) },
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

  it('ships startCase, prepareSweep and aggregateSweep bundles that load and answer without network', async () => {
    const startDir = await extract('startCase.zip');
    const event = {
      source: 'aws.s3',
      'detail-type': 'Object Created',
      detail: { bucket: { name: 'medals-data' }, object: { key: 'inbox/case-1/image.nii.gz', etag: 'abc' } },
    };
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:medals-segment-case-dev';
    expect(
      await invoke(startDir, 'dist/lambda/startCase/handler.mjs', event, { MEDALS_SEGMENT_CASE_ARN: arn }),
    ).toEqual({
      ok: { status: 'ignored', reason: 'inbox/case-1/image.nii.gz is not inbox/<case>/request.json' },
    });

    const prepareDir = await extract('prepareSweep.zip');
    const prepared = (await invoke(prepareDir, 'dist/lambda/prepareSweep/handler.mjs', {
      sweep: {},
    })) as Json;
    expect(prepared).toMatchObject({ errorType: 'INVALID_INPUT' });
    expect(prepared.errorMessage).toMatch(/source/);

    const aggregateDir = await extract('aggregateSweep.zip');
    const missing = join(aggregateDir, 'no-such-sweep');
    // A complete PrepareSweep state whose files are gone: the cases file is NOT_FOUND.
    const sweep = {
      source: join(missing, 'cases'),
      out: missing,
      concurrency: 1,
      tolerance: 0,
      itemTolerance: 0,
      delta: 0.02,
      previous: null,
      manifestUri: join(missing, 'sweep', 'manifest.jsonl'),
      manifest: { bucket: '', key: join(missing, 'sweep', 'manifest.jsonl') },
      results: {
        uri: join(missing, 'sweep', 'results'),
        bucket: '',
        prefix: join(missing, 'sweep', 'results'),
      },
      cases: join(missing, 'sweep', 'cases.json'),
      total: 1,
      toRun: 1,
      complete: 0,
    };
    const aggregated = (await invoke(aggregateDir, 'dist/lambda/aggregateSweep/handler.mjs', {
      sweep,
    })) as Json;
    expect(aggregated).toMatchObject({ errorType: 'NOT_FOUND' });
    // An incomplete one is refused before anything is read, naming what is missing.
    const partial = (await invoke(aggregateDir, 'dist/lambda/aggregateSweep/handler.mjs', {
      sweep: { out: missing, cases: sweep.cases },
    })) as Json;
    expect(partial).toMatchObject({ errorType: 'INVALID_INPUT' });
    expect(partial.errorMessage).toMatch(/AggregateSweep step input is not a valid record: .*source/);
  });

  it('passes cfn-lint (pinned in test/deploy/requirements.txt) but for its gap on Succeed states', async (context) => {
    const cfnLint = deployTool('cfn-lint');
    if ('missing' in cfnLint) return skipWithout(cfnLint.missing, context);
    const templateFile = join(serverlessDir, 'cloudformation-template-update-stack.json');
    // W3005: osls adds DependsOn on a role its GetAtt already implies.
    const result = await run(
      cfnLint.path,
      ['--format', 'json', '--ignore-checks', 'W3005', '--', templateFile],
      {
        maxBuffer: 16 * 1024 * 1024,
      },
    ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
    const matches = JSON.parse(result.stdout || '[]') as {
      Rule: { Id: string };
      Message: string;
      Location: { Path: (string | number)[] };
    }[];
    // cfn-lint's ASL schema lacks two fields AWS allows on a Succeed state: QueryLanguage (which
    // serverless-step-functions adds to every state) and OutputPath.
    const succeedGap = (m: (typeof matches)[number]) => {
      const [resources, id, properties, definition, states, name, field, ...rest] =
        m.Location.Path.map(String);
      if (
        m.Rule.Id !== 'E3601' ||
        [resources, properties, definition, states].join('/') !==
          'Resources/Properties/DefinitionString/States' ||
        rest.length > 0 ||
        (field !== 'QueryLanguage' && field !== 'OutputPath')
      ) {
        return false;
      }
      const asl = JSON.parse(resource(id!).Properties.DefinitionString as string) as {
        States: Record<string, { Type: string }>;
      };
      return (
        asl.States[name!]?.Type === 'Succeed' &&
        m.Message ===
          `Additional properties are not allowed ('${field}' was unexpected) at 'States/${name}/${field}'`
      );
    };
    expect(
      matches
        .filter((m) => !succeedGap(m))
        .map((m) => `${m.Rule.Id} ${m.Location.Path.join('/')}: ${m.Message}`),
    ).toEqual([]);
  });
});

/** What test/deploy/emulator/stack.py inspect reports. */
interface Deployed {
  status: string;
  resources: Record<string, { type: string; id: string | null; status: string }>;
  unnamed: number;
  details: Record<string, Json>;
}

/** Resource types moto's CloudFormation does not create (it lists them with no name). */
const NOT_IN_MOTO = [
  'AWS::S3::BucketPolicy',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::QueuePolicy',
  'AWS::Scheduler::Schedule',
];

describe('the packaged stack, created in a local AWS (moto, no Docker)', () => {
  let emulator: Emulator | undefined;
  let python = '';
  let deployed: Deployed;
  let packaged: { Resources: Record<string, Resource> };
  let missing: string | undefined;

  /** A template value with its Ref and Fn::GetAtt (Arn) replaced by what the emulator created. */
  function resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const v = value as Json;
    if (typeof v.Ref === 'string') {
      if (v.Ref === 'AWS::AccountId') return accountId();
      const id = deployed.resources[v.Ref]?.id;
      if (!id) throw new Error(`Ref ${v.Ref}: no such resource in the emulator`);
      return id;
    }
    if (Array.isArray(v['Fn::GetAtt'])) {
      const [name, attribute] = v['Fn::GetAtt'] as [string, string];
      const detail = deployed.details[name];
      const arn = detail?.FunctionArn ?? detail?.arn;
      if (attribute !== 'Arn' || typeof arn !== 'string')
        throw new Error(`GetAtt ${name}.${attribute} not inspected`);
      return arn;
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  }
  const accountId = () => (deployed.details.ValidateLambdaFunction!.FunctionArn as string).split(':')[4];

  beforeAll(async () => {
    const tool = deployTool('python');
    if ('missing' in tool) {
      missing = tool.missing;
      return;
    }
    python = tool.path;
    emulator = await startEmulator(python);
    // moto checks that the GPU compute environment's subnet and security group exist, as AWS
    // does: make them, and package with them as a deployment would (README "Deploying to AWS").
    const network = (await stackTool(python, emulator.endpoint, ['network'])) as {
      subnetId: string;
      securityGroupId: string;
    };
    const dir = await mkdtemp(join(tmpdir(), 'medals-stack-'));
    scratch.push(dir);
    const env = emulatorEnv(emulator.endpoint);
    Object.assign(env, { SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' });
    await run(
      join(root, 'node_modules/.bin/osls'),
      [
        'package',
        '--package',
        dir,
        `--param=subnetIds=${network.subnetId}`,
        `--param=securityGroupIds=${network.securityGroupId}`,
      ],
      { cwd: root, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    packaged = JSON.parse(await readFile(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
      Resources: Record<string, Resource>;
    };
    // `osls deploy`'s steps (stack.py deploy): osls itself reaches the stack but then fails in
    // serverless-step-functions 3.28's after-deploy hook, which calls provider.request(), gone in osls 4.
    await stackTool(python, emulator.endpoint, ['deploy', dir, 'medals-dev']);
    deployed = (await stackTool(python, emulator.endpoint, ['inspect', 'medals-dev'])) as Deployed;
  }, 240_000);

  afterAll(async () => {
    await emulator?.stop();
  });

  it('creates every resource of the template, but for the types moto lacks', (context) => {
    if (missing) return skipWithout(missing, context);
    expect(deployed.status).toBe('UPDATE_COMPLETE');
    const expected = Object.entries(packaged.Resources)
      .filter(([, r]) => !NOT_IN_MOTO.includes(r.Type))
      .map(([id, r]) => [id, r.Type]);
    const created = Object.entries(deployed.resources).map(([id, r]) => [id, r.type]);
    expect(created.sort()).toEqual(expected.sort());
    for (const [id, r] of Object.entries(deployed.resources)) expect(r.status, id).toMatch(/_COMPLETE$/);
    // The bucket policies, queue and topic policies and the sweep schedule are listed unnamed.
    const lacking = Object.values(packaged.Resources).filter((r) => NOT_IN_MOTO.includes(r.Type));
    expect(deployed.unnamed).toBe(lacking.length);
    expect(lacking.length).toBeGreaterThan(0);
  });

  it('has the three state machines with every placeholder resolved to what the stack created', async (context) => {
    if (missing) return skipWithout(missing, context);
    const files = {
      ValidateRequestStateMachine: 'workflows/validate-request.asl.json',
      SegmentCaseStateMachine: 'workflows/segment-case.asl.json',
      BenchmarkSweepStateMachine: 'workflows/benchmark-sweep.asl.json',
    };
    for (const [id, file] of Object.entries(files)) {
      const machine = deployed.details[id]!;
      const definition = machine.definition as string;
      expect(definition, id).not.toMatch(/\$\{/);
      // The workflow file with each placeholder replaced by its substitution as the emulator
      // resolved it: a Lambda's ARN, the Batch queue's, segment-case's.
      const substitutions = resolve(packaged.Resources[id]!.Properties.DefinitionSubstitutions) as Record<
        string,
        string
      >;
      const source = (await readFile(join(root, file), 'utf8')).replace(/\$\{(\w+)\}/g, (_, name: string) => {
        expect(substitutions[name], `${id}: ${name}`).toBeDefined();
        return substitutions[name]!;
      });
      const strip = (states: unknown) => {
        for (const state of Object.values(states as Record<string, Json>)) {
          delete state.QueryLanguage;
          const processor = (state.ItemProcessor ?? state.Iterator) as Json | undefined;
          if (processor) strip(processor.States);
        }
      };
      const got = JSON.parse(definition) as Json;
      strip(got.States);
      expect(got, id).toEqual(JSON.parse(source));
      expect(machine.roleArn, id).toBe(deployed.details[`${id}Role`]!.arn);
    }
    const lambdaArns = Object.values(deployed.details)
      .map((d) => d.FunctionArn)
      .filter(Boolean);
    const validate = JSON.parse(deployed.details.ValidateRequestStateMachine!.definition as string) as {
      States: Record<string, { Resource?: string }>;
    };
    expect(lambdaArns).toContain(validate.States.Validate!.Resource);
  });

  it('gives each state machine a role that lets it invoke its own Lambdas, in this account', (context) => {
    if (missing) return skipWithout(missing, context);
    for (const id of [
      'ValidateRequestStateMachine',
      'SegmentCaseStateMachine',
      'BenchmarkSweepStateMachine',
    ]) {
      const role = deployed.details[`${id}Role`]! as {
        assume: unknown;
        policies: Record<string, { Statement: Statement[] }>;
      };
      const template = packaged.Resources[`${id}Role`]!.Properties;
      expect(role.assume, id).toEqual(resolve(template.AssumeRolePolicyDocument));
      const invokes = (statements: Statement[]) =>
        statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction')).flatMap(resourcesOf);
      const want = (template.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap((p) =>
        invokes(p.PolicyDocument.Statement),
      );
      const got = Object.values(role.policies).flatMap((p) => invokes(p.Statement));
      expect(got, id).toEqual(resolve(want));
      for (const arn of got)
        expect(deployed.details, `${id}: ${String(arn)}`).toSatisfy((d: Record<string, Json>) =>
          Object.values(d).some((x) => x.FunctionArn === arn),
        );
    }
    // validate-request's policy is only that.
    expect(deployed.details.ValidateRequestStateMachineRole!.policies).toEqual(
      resolve(
        Object.fromEntries(
          (
            packaged.Resources.ValidateRequestStateMachineRole!.Properties.Policies as {
              PolicyName: string;
              PolicyDocument: Json;
            }[]
          ).map((p) => [p.PolicyName, p.PolicyDocument]),
        ),
      ),
    );
  });

  it('runs the zipped Lambdas with their handlers and roles, and wires the EventBridge rules', (context) => {
    if (missing) return skipWithout(missing, context);
    for (const [name, handler] of Object.entries(ZIPPED)) {
      const fn = deployed.details[`${logicalId(name)}LambdaFunction`]!;
      expect(fn, name).toMatchObject({ Handler: handler, Runtime: 'nodejs22.x' });
      expect(fn.Role, name).toBe(deployed.details[`${logicalId(name)}FunctionRole`]!.arn);
    }
    for (const id of ['UploadTriggerRule', 'ExecutionStatusRule']) {
      const rule = deployed.details[id] as { state: string; eventPattern: Json; targets: { arn: string }[] };
      const props = packaged.Resources[id]!.Properties;
      expect(rule.state, id).toBe('ENABLED');
      expect(rule.eventPattern, id).toEqual(resolve(props.EventPattern));
      expect(
        rule.targets.map((t) => t.arn),
        id,
      ).toEqual((props.Targets as { Arn: unknown }[]).map((t) => resolve(t.Arn)));
    }
    // The upload rule watches the data bucket and starts startCase.
    const upload = deployed.details.UploadTriggerRule as {
      eventPattern: { detail: { bucket: { name: string[] } } };
    };
    expect(upload.eventPattern.detail.bucket.name).toEqual([deployed.resources.DataBucket!.id]);
  });

  it('starts validate-request, whose Validate task fails for want of a Lambda runtime and is recorded', async (context) => {
    if (missing) return skipWithout(missing, context);
    const { SFNClient, StartExecutionCommand, DescribeExecutionCommand, GetExecutionHistoryCommand } =
      await import('@aws-sdk/client-sfn');
    const sfn = new SFNClient({
      endpoint: emulator!.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const input = {
      request: { image: 's3://bucket/case.nii.gz', prompts: ['liver'], output: 's3://bucket/out/' },
    };
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deployed.resources.ValidateRequestStateMachine!.id!,
        name: 'emulator-check',
        input: JSON.stringify(input),
      }),
    );
    let status = 'RUNNING';
    for (let i = 0; i < 120 && status === 'RUNNING'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await sfn.send(new DescribeExecutionCommand({ executionArn })))!.status!;
    }
    const { events = [] } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const entered = events.flatMap((e) =>
      e.type === 'TaskStateEntered' ? [e.stateEnteredEventDetails!.name] : [],
    );
    const scheduled = events.flatMap((e) =>
      e.lambdaFunctionScheduledEventDetails ? [e.lambdaFunctionScheduledEventDetails] : [],
    );
    const failed = events.flatMap((e) =>
      e.lambdaFunctionFailedEventDetails ? [e.lambdaFunctionFailedEventDetails] : [],
    );
    // The deployed definition runs: Validate calls the validate Lambda with the request; moto's
    // Lambda needs Docker to run it, so it fails, and the Catch sends the error to RecordFailure,
    // whose Lambda cannot run either.
    expect(entered).toEqual(['Validate', 'RecordFailure']);
    expect(scheduled.map((s) => s.resource)).toEqual([
      deployed.details.ValidateLambdaFunction!.FunctionArn,
      deployed.details.RecordFailureLambdaFunction!.FunctionArn,
    ]);
    expect(JSON.parse(scheduled[0]!.input!)).toEqual(input);
    expect((JSON.parse(scheduled[1]!.input!) as Json).error).toMatchObject({
      Cause: expect.stringMatching(/docker/i),
    });
    expect(failed).toHaveLength(2);
    for (const f of failed) expect(f.cause).toMatch(/docker/i);
    expect(status).toBe('FAILED');
  });
});
