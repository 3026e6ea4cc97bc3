// The start of a job from a form, guarded: one start at a time (a double press sends one command),
// none while the form's job runs, none while any running job writes the same output (the engine
// refuses that too, with its writer leases, for jobs of other processes). The job id is kept in
// sessionStorage, so after a reload (or a visit to another view) the form shows its job again.
import { useCallback, useRef, useState } from 'react';
import type { CommandInput, JobCommandName, JobInfo } from '@shared/contract';
import { jobTarget } from '@shared/job-target';
import { call, CommandFailed } from '../api/client';
import { useAction } from '../ui/forms';
import { formatTime } from '../ui/format';
import { useSessionState } from '../home/useSessionState';

/** The running job that writes what `input` would write, if any. */
export function runningWriterOf(jobs: JobInfo[], command: JobCommandName, input: unknown): JobInfo | undefined {
  const output = jobTarget(command, input)?.output;
  return output === undefined ? undefined : jobs.find((j) => j.state === 'running' && j.target?.output === output);
}

/** Why a second writer is refused, in words: what is being written, by which job, since when. */
export function busyMessage(job: JobInfo): string {
  const what = job.target?.label ?? 'This output';
  return `${what.charAt(0).toUpperCase()}${what.slice(1)} is being written by a running job (${job.id}, started ${formatTime(job.startedAt)}). Wait for it to finish, or cancel it in Jobs, then start again.`;
}

/** `onStarted` hears of each started job (a parent that shows the job after this form closes). */
export function useJobStart<C extends JobCommandName>(command: C, jobs: JobInfo[], storageKey: string, onStarted?: (jobId: string) => void) {
  const action = useAction();
  const [stored, setStored] = useSessionState<{ jobId: string | null }>(storageKey, { jobId: null });
  const starting = useRef(false);
  const [pending, setPending] = useState(false);
  /** Started by this form since it mounted: running until the job list says otherwise. */
  const [startedHere, setStartedHere] = useState<string>();
  const job = stored.jobId === null ? undefined : jobs.find((j) => j.id === stored.jobId);
  const running = pending || job?.state === 'running' || (job === undefined && startedHere !== undefined && startedHere === stored.jobId);
  const { run } = action;

  /** `makeInput` may throw a CommandFailed naming a field (a check the renderer makes itself). */
  const start = useCallback(
    async (makeInput: () => CommandInput<C>) => {
      if (starting.current || running) return;
      starting.current = true;
      setPending(true);
      try {
        const ref = await run(async () => {
          const input = makeInput();
          const writer = runningWriterOf(jobs, command, input);
          if (writer) throw new CommandFailed({ code: 'failed', message: busyMessage(writer) });
          return (await call(command, input)) as { jobId: string };
        });
        if (ref) {
          setStartedHere(ref.jobId);
          setStored(() => ({ jobId: ref.jobId }));
          onStarted?.(ref.jobId);
        }
      } finally {
        starting.current = false;
        setPending(false);
      }
    },
    [run, running, jobs, command, setStored, onStarted],
  );
  return { action, job, running, start };
}
