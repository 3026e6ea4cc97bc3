import type { JobInfo } from '@shared/contract';
import { ProgressBar } from '../ui/ProgressBar';
import { formatTime } from '../ui/format';

/** The last few jobs with their progress; a click opens the Jobs view with charts and results. */
export function RecentJobs({ jobs, onOpenJobs }: { jobs: JobInfo[]; onOpenJobs: () => void }) {
  const recent = jobs.slice(0, 6);
  return (
    <section className="panel" aria-label="Recent jobs">
      <header className="panel-head">
        <h3>Recent jobs</h3>
        <button type="button" className="link" onClick={onOpenJobs}>
          All jobs (Alt+2)
        </button>
      </header>
      {recent.length === 0 ? <p className="muted">No jobs in this session. Captures, training and analyses run as jobs and show here.</p> : null}
      <ul className="recent-jobs">
        {recent.map((j) => (
          <li key={j.id} data-job-id={j.id} data-state={j.state}>
            <button type="button" className="recent-job" onClick={onOpenJobs} title={j.error?.message ?? (j.target ? `${j.title}: ${j.target.label}` : j.title)}>
              <span className="recent-command">
                <span className="recent-title">{j.title}</span>
                {j.target ? <span className="muted recent-target">{j.target.label}</span> : null}
              </span>
              <ProgressBar progress={j.progress} state={j.state} />
              <span className="muted recent-time">{formatTime(j.startedAt)}</span>
            </button>
            {j.error ? <div className="error-text recent-error">{j.error.message}</div> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
