import type { EventName, EventPayload, JobCommandName, JobResult, Progress, CommandInput } from '../shared/contract';
import { callOrThrow } from '../shared/call';
import { FeaturescopeError } from '../shared/errors';
import type { Host } from './host';

/** Start a job and wait for its end: the CLI's and tests' way to use job commands. */
export async function runJob<C extends JobCommandName>(
  host: Host,
  command: C,
  input: CommandInput<C>,
  onProgress?: (p: Progress) => void,
): Promise<JobResult<C>> {
  const early: Array<[EventName, unknown]> = [];
  let settle: ((e: EventName, p: unknown) => void) | undefined;
  const unsubscribe = host.subscribe((event, payload) => {
    if (settle) settle(event, payload);
    else early.push([event, payload]);
  });
  try {
    const { jobId } = await callOrThrow(host, command, input);
    return await new Promise<JobResult<C>>((resolve, reject) => {
      settle = (event, payload) => {
        const p = payload as { jobId?: string };
        if (p.jobId !== jobId) return;
        if (event === 'job.progress') onProgress?.((payload as EventPayload<'job.progress'>).progress);
        // The engine ran the handler typed for C (src/engine/handlers/registry.ts); its result crosses as an event payload.
        else if (event === 'job.finished') resolve((payload as EventPayload<'job.finished'>).result as JobResult<C>);
        else if (event === 'job.failed') {
          const { error } = payload as EventPayload<'job.failed'>;
          reject(new FeaturescopeError(error.code, error.message, error.field));
        } else if (event === 'job.cancelled') reject(new FeaturescopeError('cancelled', 'The job was cancelled.'));
      };
      for (const [e, p] of early.splice(0)) settle(e, p);
    });
  } finally {
    unsubscribe();
  }
}
