/**
 * Validate step (Lambda `validate`, Task state `Validate`): checks the case request and passes
 * it on normalised. Thin adapter over `parseCaseRequest`; fails with INVALID_INPUT naming the
 * bad field.
 */
import { parseCaseRequest, type CaseRequest } from '../../lib/case/case-request.js';
import { loggedStep } from '../../lib/core/step-log.js';

export interface ValidateEvent {
  request?: unknown;
}

export interface ValidateResult {
  request: CaseRequest;
  valid: true;
  /** How long the check took: Preprocess records it for provenance.json's timings. */
  seconds: number;
}

async function validateStep(event: ValidateEvent): Promise<ValidateResult> {
  const started = performance.now();
  const request = parseCaseRequest(event?.request);
  return { request, valid: true, seconds: (performance.now() - started) / 1000 };
}

/** The step's entry point (Lambda, Batch container, local engine), logged (core/step-log). */
export const handler = loggedStep('Validate', validateStep);
