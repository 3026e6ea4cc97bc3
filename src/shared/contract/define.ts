import type { z } from 'zod';

/** Where a command is handled: in the host (Electron main or the serve/CLI process) or in the engine process. */
export type RunsIn = 'host' | 'engine';

/**
 * One command of the contract. A plain command answers with `output`.
 * A job command answers at once with `{ jobId }`; its progress and its `result` arrive as events.
 */
export interface CommandSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType, R extends z.ZodType | undefined = z.ZodType | undefined> {
  summary: string;
  runsIn: RunsIn;
  input: I;
  output: O;
  /** Present only on job commands: the shape of the job's final result. */
  result?: R;
}

export function command<I extends z.ZodType, O extends z.ZodType, Where extends RunsIn>(spec: {
  summary: string;
  runsIn: Where;
  input: I;
  output: O;
}): CommandSpec<I, O, undefined> & { runsIn: Where } {
  return spec;
}

export function jobCommand<I extends z.ZodType, R extends z.ZodType, O extends z.ZodType>(spec: {
  summary: string;
  input: I;
  output: O;
  result: R;
}): CommandSpec<I, O, R> & { result: R; runsIn: 'engine' } {
  return { ...spec, runsIn: 'engine' };
}
