/**
 * The records steps hand each other (their JSON files under the case prefix, and the workflow
 * state each step returns) are parsed, never cast: a reader gets exactly the type its schema
 * gives, or a named error saying which field is wrong. Each step's schemas live in its own
 * record.ts (functions/steps/<step>/record.ts).
 */
import type { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { storageFor } from '../storage/index.js';

/** `value` parsed by `schema`; INVALID_INPUT naming `what` and every field that is wrong. */
export function parseRecord<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`);
  throw new InvalidInputError(`${what} is not a valid record: ${issues.join('; ')}`);
}

/** The JSON record at `uri`, parsed by `schema` (NOT_FOUND when it is not there). */
export async function readRecord<S extends z.ZodTypeAny>(schema: S, uri: string): Promise<z.output<S>> {
  return parseRecord(schema, await storageFor(uri).readJson(uri), uri);
}

/** A field kept as the writer's type, checked only to be a JSON object (recorded, not read). */
export const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
