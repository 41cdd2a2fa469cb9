/**
 * Structured JSON logs (pino). Logs may leave the account (CloudWatch, support tickets), so
 * the logger scrubs every record: voxel buffers become a short description and fields that
 * can carry patient identity (DICOM patient tags, NIfTI descrip, names, birth dates) are
 * replaced, however deep they sit.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

const PATIENT_KEY =
  /patient|birth|descrip|aux_?file|intent_?name|institution|physician|operator|accession|(^|[^a-z])0010[|,]/i;
const REDACTED = '[redacted]';
const MAX_DEPTH = 8;

function describeBuffer(value: ArrayBufferView | ArrayBuffer): string {
  const name = value.constructor?.name ?? 'buffer';
  const length = 'length' in value ? (value as unknown as { length: number }).length : value.byteLength;
  return `[${name} of ${length}]`;
}

/** A copy of `value` that is safe to log. */
export function scrub(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return describeBuffer(value);
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (value instanceof Error) {
    return { name: value.name, message: value.message, ...(scrub({ ...value }, depth + 1) as object) };
  }
  if (Array.isArray(value)) {
    // Long numeric arrays are voxel data in disguise (e.g. Array.from(buffer)).
    if (value.length > 64 && value.every((v) => typeof v === 'number'))
      return `[Array of ${value.length} numbers]`;
    return value.map((v) => scrub(v, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = PATIENT_KEY.test(key) ? REDACTED : scrub(v, depth + 1);
  }
  return out;
}

interface LoggerOptions {
  level?: string;
  /** Where records go; default stderr, so stdout stays free for command output. */
  destination?: DestinationStream;
  /** Fields on every record, e.g. the step name and the case id. */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.MEDALS_LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      base: options.base ? (scrub(options.base) as Record<string, unknown>) : {},
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (record) => scrub(record) as Record<string, unknown>,
      },
      serializers: { err: (e: unknown) => scrub(e) },
    },
    options.destination ?? pino.destination(2),
  );
}
