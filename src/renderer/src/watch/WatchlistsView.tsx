import { useState } from 'react';
import type { JobInfo, ScanRunResult, Watchlist } from '@shared/contract';
import { useCommand } from '../api/hooks';
import { finishedResult, jobById } from '../home/jobResults';
import { JobLine } from '../home/JobLine';
import { useSessionState } from '../home/useSessionState';
import { ScanForm } from './ScanForm';
import { ScanResults } from './ScanResults';
import { WatchlistEditor } from './WatchlistEditor';
import '../home/home.css';
import './watch.css';

interface Picked {
  saeId: number | null;
  /** A watchlist id, or null for a new one. */
  watchlistId: number | null;
  /** The last scan started from this view. */
  jobId: string | null;
}

/** Watchlists of an SAE's features, their editor, and scans of pasted prompts or a corpus with the flagged contexts. */
export function WatchlistsView({ jobs, onOpenJobs }: { jobs: JobInfo[]; onOpenJobs: () => void }) {
  const saes = useCommand('catalog.saes', {}, ['catalog.changed']);
  const models = useCommand('model.list', {}, ['catalog.changed']);
  // Every entry of every watchlist: editing one SAE's entries must keep the others'.
  const lists = useCommand('watchlist.list', {}, ['catalog.changed']);
  const [picked, setPicked] = useSessionState<Picked>('featurescope.watch.picked', { saeId: null, watchlistId: null, jobId: null });
  const [editing, setEditing] = useState(0);

  if (saes.error && !saes.data) {
    return (
      <p className="error-text" role="alert">
        Cannot read the catalog: {saes.error.message}
      </p>
    );
  }
  if (!saes.data || !lists.data) return <p className="muted">Reading the catalog…</p>;
  if (saes.data.length === 0) {
    return (
      <div className="empty" data-testid="watch-empty">
        <h2>No SAEs in this workspace yet</h2>
        <p>A watchlist holds features of a sparse autoencoder: train or import an SAE on Home (and analyse it for labels and default thresholds) first.</p>
      </div>
    );
  }
  const sae = saes.data.find((s) => s.id === picked.saeId) ?? saes.data.find((s) => s.analysis !== null) ?? saes.data[0]!;
  const watchlist: Watchlist | null = lists.data.find((w) => w.id === picked.watchlistId) ?? null;
  const job = jobById(jobs, picked.jobId ?? undefined);
  const result = finishedResult<ScanRunResult>(job);
  const countFor = (w: Watchlist) => w.entries.filter((e) => e.saeId === sae.id).length;

  return (
    <div className="watch">
      <div className="fx-sae">
        <label>
          <span className="muted">SAE</span>
          <select aria-label="Watchlist SAE" value={sae.id} onChange={(e) => setPicked((p) => ({ ...p, saeId: Number(e.target.value), jobId: null }))}>
            {saes.data.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name} · {s.hookName} · d_sae {s.dSae.toLocaleString()}
                {s.analysis ? '' : ' · not analysed'}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="watch-grid">
        <section className="panel" aria-label="Watchlists">
          <header className="panel-head">
            <h3>Watchlists</h3>
            <button
              type="button"
              className="btn small"
              onClick={() => {
                setPicked((p) => ({ ...p, watchlistId: null }));
                setEditing((n) => n + 1);
              }}
            >
              New
            </button>
          </header>
          {lists.data.length === 0 ? <p className="muted">None yet: name one on the right and add features.</p> : null}
          <ul className="watch-lists" role="listbox" aria-label="Watchlist list">
            {lists.data.map((w) => (
              <li key={w.id} role="option" aria-selected={w.id === watchlist?.id} className={w.id === watchlist?.id ? 'selected' : ''} data-name={w.name} tabIndex={0} onClick={() => setPicked((p) => ({ ...p, watchlistId: w.id }))} onKeyDown={(e) => e.key === 'Enter' && setPicked((p) => ({ ...p, watchlistId: w.id }))}>
                <span className="strong">{w.name}</span>
                <span className="muted">
                  {countFor(w)} of this SAE{w.entries.length > countFor(w) ? ` · ${w.entries.length - countFor(w)} of others` : ''}
                </span>
                {w.note ? <span className="muted watch-note">{w.note}</span> : null}
              </li>
            ))}
          </ul>
        </section>
        <WatchlistEditor
          key={`${watchlist?.id ?? 'new'}:${editing}`}
          saeId={sae.id}
          dSae={sae.dSae}
          watchlist={watchlist}
          onSaved={(w) => setPicked((p) => ({ ...p, watchlistId: w.id }))}
          onDeleted={() => setPicked((p) => ({ ...p, watchlistId: null }))}
        />
      </div>
      {watchlist && countFor(watchlist) > 0 ? (
        <section className="panel" aria-label="Run a scan">
          <header className="panel-head">
            <h3>Scan with {watchlist.name}</h3>
            <span className="muted">flags every context where a watched feature exceeds its threshold</span>
          </header>
          <ScanForm sae={sae} watchlist={watchlist} models={models.data ?? []} onStarted={(jobId) => setPicked((p) => ({ ...p, jobId }))} />
          <JobLine job={job} onOpenJobs={onOpenJobs} />
        </section>
      ) : null}
      {result ? <ScanResults result={result} saeId={sae.id} /> : null}
    </div>
  );
}
