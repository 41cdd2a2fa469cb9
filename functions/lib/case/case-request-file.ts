/**
 * A case request read from a JSON file. References in it that are relative paths are resolved
 * against the folder holding the file, so a case folder (a phantom, a download) can be moved.
 */
import path from 'node:path';
import { type CaseRequest, parseCaseRequest } from './case-request.js';
import { joinUri, parentUri, parseUri, storageFor } from '../storage/index.js';

const REFERENCES = ['image', 'mask', 'groundTruth', 'output', 'model'] as const;

function isRelative(ref: string): boolean {
  const location = parseUri(ref);
  return location.scheme === 'file' && location.form === 'path' && !path.isAbsolute(location.path);
}

function resolveRequestReferences(request: CaseRequest, base: string): CaseRequest {
  const out: CaseRequest = { ...request };
  for (const key of REFERENCES) {
    const ref = out[key];
    if (ref !== undefined && isRelative(ref)) out[key] = joinUri(base, ref);
  }
  return out;
}

export async function loadCaseRequest(uri: string): Promise<CaseRequest> {
  const request = parseCaseRequest(await storageFor(uri).readJson(uri));
  const location = parseUri(uri);
  const base = location.scheme === 'file' ? path.resolve(path.dirname(location.path)) : parentUri(uri);
  return resolveRequestReferences(request, base);
}
