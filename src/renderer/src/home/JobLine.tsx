import type { JobInfo } from '@shared/contract';
import { ProgressBar } from '../ui/ProgressBar';

/** A started job, inline beside the form that started it: progress while it runs, its error if it fails. */
export function JobLine({ job, onOpenJobs }: { job: JobInfo | undefined; onOpenJobs: () => void }) {
  if (!job) return null;
  return (
    <div className="job-line" data-job-id={job.id} data-state={job.state}>
      <ProgressBar progress={job.progress} state={job.state} />
      <button type="button" className="link" onClick={onOpenJobs} title="Open in the Jobs view">
        {job.state}
      </button>
      {job.error ? <span className="error-text">{job.error.message}</span> : null}
    </div>
  );
}
