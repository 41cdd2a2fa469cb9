/**
 * What `npm ci` of a fresh clone relies on, checked against the lockfile: the Node and npm
 * versions package.json states are ones every locked dependency accepts, and the allowScripts
 * policy (npm >= 11.18) reviews every dependency that has install scripts, so npm prints no
 * advisory and onnxruntime-node never downloads its CUDA libraries at install time.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { packageRoot } from '../../functions/lib/core/package-info.js';

const Engines = z.record(z.string(), z.string());
const PackageJson = z.object({
  version: z.string(),
  engines: z.object({ node: z.string(), npm: z.string() }),
  allowScripts: z.record(z.string(), z.boolean()),
});
const LockEntry = z.object({
  // A few old packages declare engines as an array of strings, which npm ignores.
  engines: z.union([Engines, z.array(z.string())]).optional(),
  hasInstallScript: z.boolean().optional(),
});
const Lock = z.object({ packages: z.record(z.string(), LockEntry) });

const root = packageRoot();
const pkg = PackageJson.parse(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')));
const locked = Object.entries(
  Lock.parse(JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'))).packages,
)
  .filter(([where]) => where !== '')
  .map(([where, entry]) => ({
    name: where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length),
    ...entry,
  }));

/**
 * Dependencies whose stated Node range is narrower than medals', with why medals still runs
 * there. aws-local-stepfunctions 3 states Node >= 22 for Promise.withResolvers, the Node 22 API
 * it calls, which functions/lib/core/polyfills.ts supplies on Node 20; the workflow tests run the
 * engine on Node 20 in CI. npm ci on Node 20 prints this one EBADENGINE warning (README "Set up
 * and run").
 */
const NODE_EXCEPTIONS: Record<string, string> = { 'aws-local-stepfunctions': '>=22.0.0' };

function engine(entry: (typeof locked)[number], key: 'node' | 'npm'): string | undefined {
  return entry.engines && !Array.isArray(entry.engines) ? entry.engines[key] : undefined;
}

describe('npm ci of a fresh clone', () => {
  it('every locked dependency accepts every Node version package.json states, but the documented exceptions', () => {
    const narrower = locked
      .filter((d) => engine(d, 'node') && !semver.subset(pkg.engines.node, engine(d, 'node')!))
      .map((d) => [d.name, engine(d, 'node')]);
    expect(Object.fromEntries(narrower)).toEqual(NODE_EXCEPTIONS);
  });

  it('every locked dependency accepts every npm version package.json states', () => {
    const narrower = locked.filter(
      (d) => engine(d, 'npm') && !semver.subset(pkg.engines.npm, engine(d, 'npm')!),
    );
    expect(narrower.map((d) => d.name)).toEqual([]);
  });

  it('allowScripts reviews exactly the locked dependencies with install scripts, and denies the CUDA download', () => {
    const withScripts = [...new Set(locked.filter((d) => d.hasInstallScript).map((d) => d.name))].sort();
    expect(Object.keys(pkg.allowScripts).sort()).toEqual(withScripts);
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
  });

  it('`npx medals --version` prints the version and nothing else (no npm warning about the project config)', async () => {
    const { stdout, stderr } = await promisify(execFile)('npx', ['medals', '--version'], { cwd: root });
    expect(stderr).toBe('');
    expect(stdout).toBe(`${pkg.version}\n`);
  });
});
