import { useState } from 'react';
import type { JobInfo, JobResult } from '@shared/contract';
import { call } from '../api/client';
import { Field, FormError, useAction } from '../ui/forms';
import { ProgressBar } from '../ui/ProgressBar';

type BenchmarkResult = JobResult<'engine.benchmark'>;

/** The newest matmul benchmark of the session (started here, from the CLI's serve, or before a reload). */
function latestBenchmark(jobs: JobInfo[]): JobInfo | undefined {
  return jobs.filter((j) => j.command === 'engine.benchmark').sort((a, b) => b.startedAt - a.startedAt)[0];
}

/**
 * The matmul benchmark, measured and shown here: live GFLOP/s while it runs, the result when it ends
 * (it used to jump to the Jobs view and never come back). The Jobs view still lists it.
 */
export function BenchmarkPanel({ jobs, onOpenJobs }: { jobs: JobInfo[]; onOpenJobs: () => void }) {
  const [size, setSize] = useState('512');
  const [seconds, setSeconds] = useState('3');
  const action = useAction();
  const job = latestBenchmark(jobs);
  const running = job?.state === 'running';
  const live = job?.progress?.metrics?.gflops;
  const result = job?.state === 'finished' ? (job.result as BenchmarkResult) : undefined;

  const start = () => void action.run(() => call('engine.benchmark', { size: Number(size), seconds: Number(seconds) }));
  return (
    <form
      className="inline-form benchmark"
      aria-label="Matmul throughput"
      onSubmit={(e) => {
        e.preventDefault();
        start();
      }}
    >
      <h4>Matmul throughput</h4>
      <Field label="Size" field="size" error={action.error}>
        <input
          name="size"
          inputMode="numeric"
          value={size}
          onChange={(e) => {
            setSize(e.target.value);
            action.clear();
          }}
          aria-invalid={action.error?.field === 'size'}
        />
      </Field>
      <Field label="Seconds" field="seconds" error={action.error}>
        <input
          name="seconds"
          inputMode="decimal"
          value={seconds}
          onChange={(e) => {
            setSeconds(e.target.value);
            action.clear();
          }}
          aria-invalid={action.error?.field === 'seconds'}
        />
      </Field>
      <button className="btn primary" type="submit" disabled={action.busy || running}>
        {running ? 'Measuring…' : 'Measure'}
      </button>
      <FormError error={action.error} fields={['size', 'seconds']} />
      {job ? (
        <div className="benchmark-result" data-testid="benchmark" data-state={job.state} data-job-id={job.id}>
          {running ? (
            <>
              <ProgressBar progress={job.progress} state={job.state} />
              <span className="muted">{live === undefined ? 'starting…' : `${live.toFixed(1)} GFLOP/s so far`}</span>
            </>
          ) : null}
          {result ? (
            <p>
              <span className="strong mono" data-testid="benchmark-gflops">
                {result.gflops.toFixed(1)}
              </span>{' '}
              GFLOP/s · fp32 {result.size}×{result.size} matmul on {result.backend} · {result.iterations} runs in {result.seconds.toFixed(1)} s
            </p>
          ) : null}
          {job.state === 'failed' || job.state === 'cancelled' ? <p className={job.state === 'failed' ? 'error-text' : 'muted'}>{job.error?.message ?? `The benchmark was ${job.state}.`}</p> : null}
          <button type="button" className="link" onClick={onOpenJobs}>
            Open in Jobs
          </button>
        </div>
      ) : null}
    </form>
  );
}
