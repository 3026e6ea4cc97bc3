import { randomUUID } from 'node:crypto';
import type { JobInfo, JobTarget, Progress } from '../shared/contract';
import type { CommandError } from '../shared/errors';
import type { JobJournal } from './job-journal';

/** Metric history is kept for charts; a long job keeps at most this many points (evenly thinned). */
const MAX_HISTORY = 2000;

/**
 * The host's record of its jobs: this session's, and with a journal the ended jobs of earlier
 * sessions too. The engine may die; this record does not.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, JobInfo>();

  constructor(private readonly journal?: JobJournal) {
    for (const job of journal?.load() ?? []) this.jobs.set(job.id, job);
  }

  create(command: string, title: string, target?: JobTarget): JobInfo {
    const job: JobInfo = { id: `job-${randomUUID().slice(0, 8)}`, command, title, ...(target ? { target } : {}), state: 'running', startedAt: Date.now() };
    this.jobs.set(job.id, job);
    this.journal?.started(job);
    return job;
  }

  get(jobId: string): JobInfo | undefined {
    return this.jobs.get(jobId);
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].sort((a, b) => b.startedAt - a.startedAt);
  }

  running(): JobInfo[] {
    return this.list().filter((j) => j.state === 'running');
  }

  progress(jobId: string, progress: Progress): JobInfo | undefined {
    const job = this.live(jobId);
    if (!job) return undefined;
    job.progress = progress;
    if (progress.metrics) {
      const history = (job.history ??= []);
      history.push({ done: progress.done, ...progress.metrics });
      // A job's phases count different things (steps, then windows): each metric keeps its own.
      const units = (job.historyUnits ??= {});
      for (const name of Object.keys(progress.metrics)) units[name] = progress.unit;
      if (history.length > MAX_HISTORY) job.history = history.filter((_, i) => i % 2 === 0);
    }
    return job;
  }

  finish(jobId: string, result: unknown): JobInfo | undefined {
    return this.end(jobId, 'finished', (job) => (job.result = result));
  }

  fail(jobId: string, error: CommandError): JobInfo | undefined {
    return this.end(jobId, 'failed', (job) => (job.error = error));
  }

  cancelled(jobId: string): JobInfo | undefined {
    return this.end(jobId, 'cancelled', () => undefined);
  }

  private live(jobId: string): JobInfo | undefined {
    const job = this.jobs.get(jobId);
    return job && job.state === 'running' ? job : undefined;
  }

  private end(jobId: string, state: JobInfo['state'], apply: (job: JobInfo) => void): JobInfo | undefined {
    const job = this.live(jobId);
    if (!job) return undefined;
    job.state = state;
    job.endedAt = Date.now();
    apply(job);
    this.journal?.ended(job);
    return job;
  }
}
