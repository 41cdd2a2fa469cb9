/**
 * The Python tools of the deploy tests (cfn-lint, moto's local AWS), from the environment that
 * `npm run deploy-tools:setup` makes in .venv-deploy/ (test/deploy/requirements.txt, every package
 * pinned; $MEDALS_DEPLOY_VENV picks another). Without it the tests that need them skip, saying
 * so, unless MEDALS_DEPLOY_TOOLS_REQUIRED=1 (CI), where a missing tool is a failure.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../..', import.meta.url));
export const deployVenv = process.env.MEDALS_DEPLOY_VENV ?? join(root, '.venv-deploy');

/** The tool's path in the deploy environment, or why it cannot be used. */
export function deployTool(name: 'python' | 'cfn-lint'): { path: string } | { missing: string } {
  const path = join(deployVenv, 'bin', name);
  if (existsSync(path)) return { path };
  return { missing: `${path} does not exist: run 'npm run deploy-tools:setup' (PyPI)` };
}

/** Skips the test saying why, or fails it where the tools are required. */
export function skipWithout(missing: string, context: { skip: () => void }): void {
  if (process.env.MEDALS_DEPLOY_TOOLS_REQUIRED === '1') {
    throw new Error(`MEDALS_DEPLOY_TOOLS_REQUIRED=1 and ${missing}`);
  }
  console.warn(`skipped: ${missing}`);
  context.skip();
}

/** Credentials and settings that point every AWS client at `endpoint`, and at nothing else. */
export function emulatorEnv(endpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
  return Object.assign(env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: join(deployVenv, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(deployVenv, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  });
}

export interface Emulator {
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts moto's server (test/deploy/emulator/moto_server.py) on a free port and waits until it
 * answers. Its Lambda has no Docker to run functions in (DOCKER_HOST names no socket), so a Lambda
 * task fails the same way on every machine.
 */
export async function startEmulator(python: string): Promise<Emulator> {
  const child: ChildProcess = spawn(python, [join(root, 'test/deploy/emulator/moto_server.py')], {
    env: { ...emulatorEnv('unused'), DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (endpoint) {
      const ready = await fetch(`${endpoint}/moto-api/data.json`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return { endpoint, stop };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`moto's server did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Runs test/deploy/emulator/stack.py against the emulator and parses what it prints. */
export async function stackTool(python: string, endpoint: string, args: string[]): Promise<unknown> {
  const { stdout } = await run(python, [join(root, 'test/deploy/emulator/stack.py'), ...args], {
    env: emulatorEnv(endpoint),
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return JSON.parse(stdout) as unknown;
}
