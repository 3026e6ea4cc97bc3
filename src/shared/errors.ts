// The only error shape that crosses a process boundary (engine → host → renderer).
// Never a stack trace: a code a program can switch on, a sentence a person can act on,
// and the input field (dot path) when the error is about one.

export const ERROR_CODES = [
  'invalid_input', // the command's input broke its schema
  'unknown_command',
  'not_found', // a file, model, job or catalog row that does not exist
  'bad_file', // a file that exists but breaks a format rule
  'unsupported', // a valid request for something this build does not do
  'engine_unavailable', // the engine process is starting or restarting
  'engine_crashed', // the engine process died while working on this
  'cancelled',
  'failed', // the work itself failed (non-finite loss, out of memory, …)
  'internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface CommandError {
  code: ErrorCode;
  message: string;
  field?: string;
}

/** Thrown inside host or engine code; turned into a CommandError at the boundary. */
export class FeaturescopeError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'FeaturescopeError';
  }

  toJSON(): CommandError {
    return toCommandError(this);
  }
}

export function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string' && (ERROR_CODES as readonly string[]).includes(v.code);
}

/** Anything thrown → a CommandError with no stack trace. Unknown errors keep only their message. */
export function toCommandError(err: unknown): CommandError {
  if (err instanceof FeaturescopeError) {
    return err.field === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, field: err.field };
  }
  if (isCommandError(err)) {
    return err.field === undefined ? { code: err.code, message: err.message } : { code: err.code, message: err.message, field: err.field };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'internal', message: firstLine(message) };
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
}
