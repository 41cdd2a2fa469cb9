/**
 * Named errors. Step Functions matches `ErrorEquals` on the error's `name`, so every error the
 * workflow can raise has `name === code`, and the code is stable: tests, ASL Retry/Catch rules
 * and users' scripts depend on it.
 */

export const ERROR_CODES = [
  'INVALID_INPUT',
  'UNSUPPORTED_FORMAT',
  'MODEL_CONTRACT',
  'UNKNOWN_CLASS',
  'NOT_FOUND',
  'USAGE',
  'TRANSIENT',
  'INTERNAL',
  /** A sweep in which more cases failed than its tolerance allows (the sweep's Fail state). */
  'SWEEP_TOLERANCE_EXCEEDED',
  /** Another local run is writing the same case's output folder (workflows/case-lock.ts). */
  'CASE_RUNNING',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

interface MedalsErrorOptions {
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class MedalsError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable context (field names, limits); never voxel data or patient fields. */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options?: MedalsErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = code;
    if (options?.details) this.details = options.details;
  }

  /** The one-line form users see: `CODE: message`. */
  toLine(): string {
    return `${this.code}: ${this.message.split('\n')[0]}`;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export class InvalidInputError extends MedalsError {
  constructor(message: string, options?: MedalsErrorOptions) {
    super('INVALID_INPUT', message, options);
  }
}

export class UnsupportedFormatError extends MedalsError {
  constructor(message: string, options?: MedalsErrorOptions) {
    super('UNSUPPORTED_FORMAT', message, options);
  }
}

export class ModelContractError extends MedalsError {
  constructor(message: string, options?: MedalsErrorOptions) {
    super('MODEL_CONTRACT', message, options);
  }
}

export class UnknownClassError extends MedalsError {
  constructor(message: string, options?: MedalsErrorOptions) {
    super('UNKNOWN_CLASS', message, options);
  }
}

export class NotFoundError extends MedalsError {
  constructor(message: string, options?: MedalsErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

/** Bad command-line usage: the CLI exits with status 2 for these. */
export class UsageError extends MedalsError {
  constructor(message: string, options?: MedalsErrorOptions) {
    super('USAGE', message, options);
  }
}

/** A failure worth retrying: throttling, lost capacity, a dropped connection. */
export class TransientError extends MedalsError {
  constructor(message: string, options?: MedalsErrorOptions) {
    super('TRANSIENT', message, options);
  }
}

export function isMedalsError(e: unknown): e is MedalsError {
  return e instanceof MedalsError;
}

/** Wrap anything thrown by a dependency so it carries a code; keeps the original as `cause`. */
export function asMedalsError(e: unknown, fallback: ErrorCode = 'INTERNAL', context?: string): MedalsError {
  if (e instanceof MedalsError) return e;
  const text =
    e instanceof Error ? e.message : typeof e === 'string' ? e : `unexpected value thrown: ${String(e)}`;
  return new MedalsError(fallback, context ? `${context}: ${text}` : text, { cause: e });
}
