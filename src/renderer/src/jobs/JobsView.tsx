import { useMemo, useState } from 'react';
import type { JobInfo } from '@shared/contract';
import { call } from '../api/client';
import { LineChart } from '../ui/charts/LineChart';
import { ProgressBar } from '../ui/ProgressBar';
import { formatDuration, formatNumber, formatTime } from '../ui/format';

export function JobsView({ jobs }: { jobs: JobInfo[] }) {
  const [selectedId, setSelectedId] = useState<string>();
  const selected = jobs.find((j) => j.id === selectedId) ?? jobs[0];

  if (jobs.length === 0) {
    return (
      <div className="empty">
        <h2>No jobs yet</h2>
        <p>Long work — throughput checks, captures, training, analyses — runs as a job. Start one from the System page; its progress, rate and charts show here.</p>
      </div>
    );
  }
  return (
    <div className="split">
      <table className="table jobs-table">
        <thead>
          <tr>
            <th>Job</th>
            <th>State</th>
            <th style={{ width: '40%' }}>Progress</th>
            <th>Started</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} className={job === selected ? 'selected' : ''} onClick={() => setSelectedId(job.id)} data-job-id={job.id} data-state={job.state}>
              <td>
                <div>{job.title}</div>
                <div className="muted mono">{job.id}</div>
              </td>
              <td>
                <span className={`badge state-${job.state}`}>{job.state}</span>
              </td>
              <td>
                <ProgressBar progress={job.progress} state={job.state} />
                {job.error ? <div className="error-text">{job.error.message}</div> : null}
              </td>
              <td className="muted">{formatTime(job.startedAt)}</td>
              <td>
                {job.state === 'running' ? (
                  <button
                    className="btn small"
                    onClick={(e) => {
                      e.stopPropagation();
                      void call('jobs.cancel', { jobId: job.id });
                    }}
                  >
                    Cancel
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {selected ? <JobDetail job={selected} /> : null}
    </div>
  );
}

function JobDetail({ job }: { job: JobInfo }) {
  const metricNames = useMemo(() => {
    const names = new Set<string>();
    for (const h of job.history ?? []) for (const k of Object.keys(h)) if (k !== 'done') names.add(k);
    return [...names];
  }, [job.history]);
  const duration = ((job.endedAt ?? Date.now()) - job.startedAt) / 1000;

  return (
    <section className="panel job-detail" aria-label="Job detail">
      <header className="panel-head">
        <h3>{job.title}</h3>
        <span className={`badge state-${job.state}`}>{job.state}</span>
      </header>
      <dl className="kv">
        <dt>Command</dt>
        <dd className="mono">{job.command}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(duration)}</dd>
        {job.progress ? (
          <>
            <dt>Done</dt>
            <dd>
              {formatNumber(job.progress.done)} / {formatNumber(job.progress.total)} {job.progress.unit}
            </dd>
          </>
        ) : null}
        {job.error ? (
          <>
            <dt>Error</dt>
            <dd className="error-text">{job.error.message}</dd>
          </>
        ) : null}
      </dl>
      <div className="charts">
        {metricNames.map((name) => (
          <LineChart
            key={name}
            title={name}
            xLabel={job.progress?.unit ?? 'step'}
            series={[{ name, points: (job.history ?? []).filter((h) => h[name] !== undefined).map((h) => [h.done!, h[name]!]) }]}
          />
        ))}
      </div>
      {job.result !== undefined ? (
        <>
          <h4>Result</h4>
          <ResultTable value={job.result} />
        </>
      ) : null}
    </section>
  );
}

function ResultTable({ value }: { value: unknown }) {
  if (typeof value !== 'object' || value === null) return <pre className="mono">{JSON.stringify(value)}</pre>;
  return (
    <dl className="kv result">
      {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
        <div key={k} className="kv-row">
          <dt>{k}</dt>
          <dd className="mono" data-result-key={k}>
            {typeof v === 'number' ? formatNumber(v) : typeof v === 'object' ? JSON.stringify(v) : String(v)}
          </dd>
        </div>
      ))}
    </dl>
  );
}
