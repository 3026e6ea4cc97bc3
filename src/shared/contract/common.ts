import { z } from 'zod';
import { ERROR_CODES } from '../errors';

export const CommandErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  field: z.string().optional(),
});

export const Empty = z.object({}).strict();

export const JobRef = z.object({ jobId: z.string() });

export const JobState = z.enum(['running', 'finished', 'failed', 'cancelled']);

export const Progress = z.object({
  /** 0..1 of the whole job. */
  fraction: z.number().min(0).max(1),
  done: z.number(),
  total: z.number(),
  /** What `done` and `total` count: 'tokens', 'steps', 'features', 'iterations'… */
  unit: z.string(),
  /** `unit`s per second over the job so far. */
  rate: z.number(),
  /** Seconds left at the current rate; null until it can be estimated. */
  etaSeconds: z.number().nullable(),
  message: z.string().optional(),
  /** Live numbers a job wants charted (loss, explained_variance, l0, …). */
  metrics: z.record(z.string(), z.number()).optional(),
});

/** What a job works on: a label for people, and the output it writes (the writer lease's key) when it writes one. */
export const JobTarget = z.object({ label: z.string(), output: z.string().optional() });

export const JobInfo = z.object({
  id: z.string(),
  command: z.string(),
  /** A short human title, e.g. "Matmul benchmark 512×512". */
  title: z.string(),
  /** What it trains, captures, analyses…: e.g. SAE "sae-1" (absent for jobs of older versions). */
  target: JobTarget.optional(),
  state: JobState,
  startedAt: z.number(),
  endedAt: z.number().optional(),
  progress: Progress.optional(),
  /** Metric history kept for charts after the job ends: step → values. */
  history: z.array(z.record(z.string(), z.number())).optional(),
  /** What `done` counted when each history metric was recorded ('steps', 'tokens'…): a chart's x axis. */
  historyUnits: z.record(z.string(), z.string()).optional(),
  result: z.unknown().optional(),
  error: CommandErrorSchema.optional(),
});

export const BackendInfo = z.object({
  /** tfjs backend name: 'tensorflow' (tfjs-node or tfjs-node-gpu), 'wasm' or 'cpu'. */
  name: z.string(),
  kind: z.enum(['gpu', 'native', 'wasm', 'cpu']),
  threads: z.number().int(),
  simd: z.boolean(),
  /** Why this backend was chosen, including why the better ones were not. */
  reason: z.string(),
  tfjsVersion: z.string(),
});

export type JobInfo = z.infer<typeof JobInfo>;
export type JobTarget = z.infer<typeof JobTarget>;
export type Progress = z.infer<typeof Progress>;
export type BackendInfo = z.infer<typeof BackendInfo>;

/** A path the engine writes to: absolute (POSIX or Windows), since the engine's working folder is not the user's. */
export const AbsolutePath = z
  .string()
  .min(1)
  .max(4096)
  .regex(/^(\/|[A-Za-z]:[\\/])/, 'must be an absolute path');
