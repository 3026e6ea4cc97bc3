// What finished jobs left behind, read from the session's job list (the host keeps results).
import type { JobInfo, JobResult } from '@shared/contract';

export type CaptureResult = JobResult<'capture.start'>;
export type TrainResult = JobResult<'sae.train'>;
export type AnalyzeResult = JobResult<'sae.analyze'>;

export function jobById(jobs: JobInfo[], id: string | undefined): JobInfo | undefined {
  return id === undefined ? undefined : jobs.find((j) => j.id === id);
}

export function finishedResult<T>(job: JobInfo | undefined): T | undefined {
  return job?.state === 'finished' ? (job.result as T) : undefined;
}

/** The hook most SAEs are trained at: the residual stream after the middle block. */
export function defaultHook(hookNames: string[], nLayers: number): string {
  const mid = `blocks.${Math.floor(nLayers / 2)}.hook_resid_post`;
  return hookNames.includes(mid) ? mid : (hookNames.find((h) => h.endsWith('hook_resid_post')) ?? hookNames[0] ?? '');
}
