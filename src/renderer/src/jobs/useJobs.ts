import { useEffect, useState } from 'react';
import type { JobInfo } from '@shared/contract';
import { call, on } from '../api/client';

/** Every job of the session, kept live from job.* events (no polling). */
export function useJobs(): JobInfo[] {
  const [jobs, setJobs] = useState<JobInfo[]>([]);

  useEffect(() => {
    let live = true;
    const refresh = () =>
      void call('jobs.list', {}).then((list) => {
        if (live) setJobs(list);
      });
    const patch = (jobId: string, f: (j: JobInfo) => JobInfo) => setJobs((list) => list.map((j) => (j.id === jobId ? f(j) : j)));
    refresh();
    const offs = [
      on('job.started', (job) => setJobs((list) => [job, ...list.filter((j) => j.id !== job.id)])),
      on('job.progress', ({ jobId, progress }) =>
        patch(jobId, (j) => ({
          ...j,
          progress,
          history: progress.metrics ? [...(j.history ?? []), { done: progress.done, ...progress.metrics }] : j.history,
          // Each metric's x unit is the unit of the phase that reported it (as the host records it).
          historyUnits: progress.metrics ? { ...j.historyUnits, ...Object.fromEntries(Object.keys(progress.metrics).map((k) => [k, progress.unit])) } : j.historyUnits,
        })),
      ),
      // Final states carry results and errors: take the host's record of them.
      on('job.finished', refresh),
      on('job.failed', refresh),
      on('job.cancelled', refresh),
    ];
    return () => {
      live = false;
      offs.forEach((off) => off());
    };
  }, []);

  return jobs;
}
