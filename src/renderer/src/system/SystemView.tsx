import { useState } from 'react';
import type { DoctorReport } from '@shared/contract';
import { call, CommandFailed } from '../api/client';
import { useCommand } from '../api/hooks';
import { CorpusFoldersPanel } from './CorpusFoldersPanel';

export function SystemView({ onJobStarted }: { onJobStarted: () => void }) {
  const doctor = useCommand('app.doctor', {}, ['engine.status']);
  return (
    <div className="grid-2">
      <section className="panel" aria-label="Engine">
        <header className="panel-head">
          <h3>Engine</h3>
        </header>
        {doctor.error ? <p className="error-text">{doctor.error.message}</p> : null}
        {doctor.data ? <EngineFacts report={doctor.data} /> : <p className="muted">Asking the engine…</p>}
        <BenchmarkForm onJobStarted={onJobStarted} />
      </section>
      <section className="panel" aria-label="Versions and paths">
        <header className="panel-head">
          <h3>Versions and paths</h3>
        </header>
        {doctor.data ? (
          <dl className="kv">
            {Object.entries(doctor.data.versions).map(([k, v]) => (
              <div className="kv-row" key={k}>
                <dt>{k}</dt>
                <dd className="mono">{v}</dd>
              </div>
            ))}
            {Object.entries(doctor.data.paths).map(([k, v]) => (
              <div className="kv-row" key={k}>
                <dt>{k}</dt>
                <dd className="mono">{v}</dd>
              </div>
            ))}
          </dl>
        ) : null}
      </section>
      <CorpusFoldersPanel />
    </div>
  );
}

function EngineFacts({ report }: { report: DoctorReport }) {
  const b = report.engine.backend;
  return (
    <dl className="kv">
      <div className="kv-row">
        <dt>State</dt>
        <dd data-testid="engine-state">{report.engine.state}</dd>
      </div>
      <div className="kv-row">
        <dt>Process</dt>
        <dd className="mono">{report.engine.pid ?? '—'} {report.engine.restarts > 0 ? `(restarted ${report.engine.restarts}×)` : ''}</dd>
      </div>
      <div className="kv-row">
        <dt>Backend</dt>
        <dd data-testid="engine-backend">{b ? `${b.name} (${b.kind}) · ${b.threads} thread${b.threads === 1 ? '' : 's'} · SIMD ${b.simd ? 'on' : 'off'}` : '—'}</dd>
      </div>
      <div className="kv-row">
        <dt>Why</dt>
        <dd className="muted">{b?.reason ?? '—'}</dd>
      </div>
      <div className="kv-row">
        <dt>Mode</dt>
        <dd>
          {report.app.mode} · Featurescope {report.app.version} · {report.app.platform}/{report.app.arch}
        </dd>
      </div>
    </dl>
  );
}

function BenchmarkForm({ onJobStarted }: { onJobStarted: () => void }) {
  const [size, setSize] = useState('512');
  const [seconds, setSeconds] = useState('3');
  const [error, setError] = useState<CommandFailed>();
  const start = async () => {
    try {
      setError(undefined);
      await call('engine.benchmark', { size: Number(size), seconds: Number(seconds) });
      onJobStarted();
    } catch (err) {
      setError(err as CommandFailed);
    }
  };
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
    >
      <h4>Matmul throughput</h4>
      <label>
        Size
        <input name="size" inputMode="numeric" value={size} onChange={(e) => setSize(e.target.value)} aria-invalid={error?.field === 'size'} />
      </label>
      <label>
        Seconds
        <input name="seconds" inputMode="decimal" value={seconds} onChange={(e) => setSeconds(e.target.value)} aria-invalid={error?.field === 'seconds'} />
      </label>
      <button className="btn primary" type="submit">
        Measure
      </button>
      {error ? <p className="error-text" role="alert">{error.message}</p> : null}
    </form>
  );
}
