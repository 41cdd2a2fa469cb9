/**
 * The local stand-in for Step Functions' StartExecution of segment-case, for the upload trigger
 * (functions/steps/start-case): runs the case on the local engine and, as Step Functions does, refuses
 * a second execution of the same name (answering 'exists'), so a notification delivered twice
 * runs its case once. Names live as long as this starter (Step Functions keeps them 90 days).
 */
import type { CaseStarter } from '../functions/steps/start-case/handler.js';
import type { RunResult } from './local-engine.js';
import { runSegmentCase } from './segment-case.js';

export class LocalCaseStarter implements CaseStarter {
  private readonly runs = new Map<string, Promise<RunResult>>();

  async start(name: string, input: { request: unknown }): Promise<'started' | 'exists'> {
    if (this.runs.has(name)) return 'exists';
    this.runs.set(name, runSegmentCase(input));
    return 'started';
  }

  /** The execution started under `name`, to wait for (undefined if none). */
  execution(name: string): Promise<RunResult> | undefined {
    return this.runs.get(name);
  }

  get started(): number {
    return this.runs.size;
  }
}
