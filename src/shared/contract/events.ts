import { z } from 'zod';
import { BackendInfo, CommandErrorSchema, JobInfo, Progress } from './common';
import { EngineState } from './app';

/** Pushes from the host to every client (renderer window or browser). */
export const events = {
  'job.started': JobInfo,
  'job.progress': z.object({ jobId: z.string(), progress: Progress }),
  'job.finished': z.object({ jobId: z.string(), result: z.unknown() }),
  'job.failed': z.object({ jobId: z.string(), error: CommandErrorSchema }),
  'job.cancelled': z.object({ jobId: z.string() }),
  /** The engine (the only catalog writer) changed these tables ('*': any of them); readers re-read. */
  'catalog.changed': z.object({ tables: z.array(z.string()) }),
  'engine.status': z.object({
    state: EngineState,
    pid: z.number().nullable(),
    backend: BackendInfo.nullable(),
    message: z.string().optional(),
  }),
};

export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.infer<(typeof events)[E]>;
