import { useMemo, useState } from 'react';
import type { JobInfo } from '@shared/contract';
import { call } from '../api/client';
import { LineChart } from '../ui/charts/LineChart';
import { ProgressBar, phaseLabel } from '../ui/ProgressBar';
import { formatDuration, formatNumber, formatTime } from '../ui/format';
import { JobFigures } from './JobFigures';
import { ResultTable } from './ResultTable';
import { chartTitle, metricWords } from './words';

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
            <th>Target</th>
            <th>State</th>
            <th className="job-progress-col">Progress</th>
            <th>Started</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {jobs.map((job) => (
            <tr key={job.id} className={job === selected ? 'selected' : ''} onClick={() => setSelectedId(job.id)} data-job-id={job.id} data-state={job.state}>
              <td>
                {/* A job's title is its command's summary, often a sentence: two lines here, all of it on hover and in the detail. */}
                <div className="job-clamp" title={job.title}>
                  {job.title}
                </div>
                <div className="muted mono">{job.id}</div>
              </td>
              <td data-testid="job-target">
                {job.target ? (
                  <div className="job-clamp" title={job.target.label}>
                    {job.target.label}
                  </div>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
              <td>
                <span className={`badge state-${job.state}`}>{job.state}</span>
              </td>
              <td>
                <ProgressBar progress={job.progress} state={job.state} />
                {job.error ? <div className="error-text">{job.error.message}</div> : null}
              </td>
              <td className="muted nowrap">{formatTime(job.startedAt)}</td>
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
  const charts = useMemo(() => chartsOf(job), [job.history, job.historyUnits, job.progress?.unit]);
  const duration = ((job.endedAt ?? Date.now()) - job.startedAt) / 1000;

  return (
    <section className="panel job-detail" aria-label="Job detail">
      <header className="panel-head">
        <h3>{job.title}</h3>
        <span className={`badge state-${job.state}`}>{job.state}</span>
      </header>
      <dl className="kv">
        {job.target ? (
          <>
            <dt>Target</dt>
            <dd data-testid="job-detail-target">{job.target.label}</dd>
          </>
        ) : null}
        <dt>Command</dt>
        <dd className="mono">{job.command}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(duration)}</dd>
        {job.progress ? (
          <>
            <dt>{job.state === 'running' ? 'Now' : 'Last phase'}</dt>
            <dd data-testid="job-phase">
              {phaseLabel(job.progress)}
              {job.state === 'running' ? ` · ${formatNumber(job.progress.rate)} ${job.progress.unit}/s` : ''}
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
      {job.result !== undefined ? <JobFigures job={job} /> : null}
      <div className="charts">
        {charts.map((c) => (
          <LineChart key={c.name} metric={c.name} title={c.title} xLabel={c.xLabel} yLabel={c.yLabel} series={[{ name: c.title, points: c.points }]} />
        ))}
      </div>
      {job.result !== undefined ? (
        <>
          <h4>Result</h4>
          <ResultTable value={job.result} groupNames={job.command === 'sae.train' ? TRAIN_RESULT_NAMES : undefined} />
        </>
      ) : null}
    </section>
  );
}

/** A training result's `metrics` are the last batch's, not an evaluation's: the table says so. */
const TRAIN_RESULT_NAMES = { metrics: 'Training (last batch)' };

interface JobChart {
  name: string;
  title: string;
  xLabel: string;
  yLabel: string;
  points: Array<[number, number]>;
}

/** One chart per metric, titled in words, over the unit of the phase that reported it. */
function chartsOf(job: JobInfo): JobChart[] {
  const history = job.history ?? [];
  const names = new Set<string>();
  for (const h of history) for (const k of Object.keys(h)) if (k !== 'done') names.add(k);
  return [...names].flatMap((name) => {
    const words = metricWords(name);
    if (words.counter) return [];
    const scale = words.percent ? 100 : 1;
    const points = history.filter((h) => h[name] !== undefined).map((h): [number, number] => [h.done!, h[name]! * scale]);
    // Journals of older versions have no units: their last phase's unit is the best guess left.
    const xLabel = job.historyUnits?.[name] ?? job.progress?.unit ?? 'step';
    return [{ name, title: chartTitle(name), xLabel, yLabel: words.percent ? '%' : words.unit, points }];
  });
}
