/**
 * Validate step (Lambda `validate`, Task state `Validate`): checks the case request and passes
 * it on normalised. Thin adapter over `parseCaseRequest`; fails with INVALID_INPUT naming the
 * bad field.
 */
import { parseCaseRequest, type CaseRequest } from '../core/case-request.js';

export interface ValidateEvent {
  request?: unknown;
}

export interface ValidateResult {
  request: CaseRequest;
  valid: true;
}

export async function handler(event: ValidateEvent): Promise<ValidateResult> {
  const request = parseCaseRequest(event?.request);
  return { request, valid: true };
}
