import type { DoctorReport, JobInfo } from '@shared/contract';
import { transport } from '../api/client';
import { useCommand } from '../api/hooks';
import { BenchmarkPanel } from './BenchmarkPanel';
import { CorpusFoldersPanel } from './CorpusFoldersPanel';

export function SystemView({ jobs, onOpenJobs }: { jobs: JobInfo[]; onOpenJobs: () => void }) {
  const doctor = useCommand('app.doctor', {}, ['engine.status']);
  return (
    <div className="grid-2">
      <section className="panel" aria-label="Engine">
        <header className="panel-head">
          <h3>Engine</h3>
        </header>
        {doctor.error ? <p className="error-text">{doctor.error.message}</p> : null}
        {doctor.data ? <EngineFacts report={doctor.data} /> : <p className="muted">Asking the engine…</p>}
        <BenchmarkPanel jobs={jobs} onOpenJobs={onOpenJobs} />
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
                <dt>{PATH_WORDS[k as keyof DoctorReport['paths']] ?? k}</dt>
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

/** The data paths in words: the report's keys are the code's (dataDir), not the user's. */
const PATH_WORDS: Record<keyof DoctorReport['paths'], string> = {
  dataDir: 'Data folder',
  workspace: 'Workspace',
  catalog: 'Catalog',
  resources: 'Resources',
  bundledModels: 'Bundled models',
};

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
        <dd data-testid="app-mode">
          {modeLabel(report.app.mode)} · Featurescope {report.app.version} · {report.app.platform}/{report.app.arch}
        </dd>
      </div>
    </dl>
  );
}

/**
 * How this window reaches the engine, in words. The page itself knows whether it is in a browser
 * (a WebSocket to serve mode) or the desktop window (IPC); the host's mode says who serves it.
 */
export function modeLabel(hostMode: DoctorReport['app']['mode']): string {
  if (transport === 'websocket') return `browser, served by featurescope serve${hostMode === 'serve' ? '' : ` (host mode ${hostMode})`}`;
  return hostMode === 'desktop' ? 'desktop app' : hostMode;
}
