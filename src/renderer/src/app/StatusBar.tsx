import type { JobInfo } from '@shared/contract';
import { transport } from '../api/client';
import { useEngineStatus } from './useEngineStatus';

export function StatusBar({ jobs }: { jobs: JobInfo[] }) {
  const engine = useEngineStatus();
  const running = jobs.filter((j) => j.state === 'running');
  const b = engine?.backend;
  return (
    <footer className="statusbar" aria-label="Status">
      <span className={`dot engine-${engine?.state ?? 'starting'}`} />
      <span data-testid="status-engine">engine {engine?.state ?? 'connecting'}</span>
      <span className="sep" />
      <span data-testid="status-backend" title={b?.reason}>
        {b ? `${b.kind} · ${b.name} · ${b.threads}T${b.simd ? ' SIMD' : ''}` : 'backend —'}
      </span>
      <span className="sep" />
      <span data-testid="status-jobs">{running.length === 0 ? 'no active jobs' : `${running.length} active job${running.length > 1 ? 's' : ''}`}</span>
      {engine?.message ? (
        <>
          <span className="sep" />
          <span className="warn-text">{engine.message}</span>
        </>
      ) : null}
      <span className="grow" />
      <span className="muted">{transport === 'ipc' ? 'desktop' : 'browser · 127.0.0.1'}</span>
    </footer>
  );
}
