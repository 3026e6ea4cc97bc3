import { useEffect, useState } from 'react';
import { call } from '../api/client';
import { useCommand } from '../api/hooks';
import { formatTime } from '../ui/format';
import { describeIntervention } from '../playground/interventions';
import type { NavRequest } from '../app/navigation';
import { ExperimentDetail } from './ExperimentDetail';
import { interventionsOf, type LoggedExperiment, type LoggedInputs, type LoggedOutputs } from './logged';
import '../playground/playground.css';
import './experiments.css';

const PAGE = 50;

/** The experiment log, newest first: every ablation and steering run, citable and replayable. */
export function ExperimentLogView({ focus }: { focus?: NavRequest<'experiment'> | undefined }) {
  const first = useCommand('catalog.experiments', { limit: PAGE }, ['catalog.changed']);
  const [older, setOlder] = useState<LoggedExperiment[]>([]);
  const [noMore, setNoMore] = useState(false);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [focusError, setFocusError] = useState<string>();
  // Entries fetched because another view linked to them; kept apart so paging stays contiguous.
  const [linked, setLinked] = useState<LoggedExperiment[]>([]);
  const paged = [...(first.data ?? []), ...older.filter((o) => !(first.data ?? []).some((f) => f.id === o.id))];
  const rows = [...paged, ...linked.filter((l) => !paged.some((p) => p.id === l.id))].sort((a, b) => b.id - a.id);
  const selected = rows.find((r) => r.id === selectedId) ?? rows[0];

  // Another view linked to a cite id: select it, fetching it when it is older than the loaded pages.
  useEffect(() => {
    if (!focus) return;
    let live = true;
    setFocusError(undefined);
    call('catalog.experiment', { ref: focus.citeId }).then(
      (e) => {
        if (!live) return;
        setLinked((l) => (l.some((x) => x.id === e.id) ? l : [...l, e]));
        setSelectedId(e.id);
      },
      (err: unknown) => live && setFocusError(`${focus.citeId}: ${(err as Error).message}`),
    );
    return () => {
      live = false;
    };
  }, [focus]);

  // Bring the selected row into view (a linked entry may be far down the list).
  useEffect(() => {
    if (selectedId !== null) document.querySelector(`.exp-list tr[data-exp-id="${selectedId}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selectedId, rows.length]);

  // A new first page (a new experiment logged) keeps the older pages already loaded.
  useEffect(() => setNoMore((first.data?.length ?? 0) < PAGE), [first.data]);

  const loadOlder = async () => {
    const last = paged[paged.length - 1];
    if (!last) return;
    const page = await call('catalog.experiments', { limit: PAGE, beforeId: last.id });
    setOlder((o) => [...o, ...page]);
    if (page.length < PAGE) setNoMore(true);
  };

  if (first.error && !first.data) return <p className="error-text">Cannot read the experiment log: {first.error.message}</p>;
  if (!first.data) return <p className="muted">Reading the experiment log…</p>;
  if (rows.length === 0) {
    return (
      <div className="empty" data-testid="experiments-empty">
        <h2>No experiments yet</h2>
        <p>Every playground run with an ablation or a steering slider is logged here with a cite id (exp-000123), its inputs and outputs, so it can be cited and replayed.</p>
      </div>
    );
  }

  return (
    <div className="split exp-split">
      <div className="exp-list">
        {focusError ? (
          <p className="error-text" role="alert">
            {focusError}
          </p>
        ) : null}
        <table className="table compact" aria-label="Experiment log">
          <thead>
            <tr>
              <th>Cite id</th>
              <th>Kind</th>
              <th>Time</th>
              <th>Prompt</th>
              <th>Interventions</th>
              <th className="num">KL</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => {
              const ivs = interventionsOf(e);
              const kl = (e.outputs as LoggedOutputs).kl;
              return (
                <tr key={e.id} className={e === selected ? 'selected' : ''} onClick={() => setSelectedId(e.id)} data-cite={e.citeId} data-exp-id={e.id}>
                  <td className="mono">{e.citeId}</td>
                  <td>
                    <span className={`badge kind-${e.kind}`}>{e.kind}</span>
                  </td>
                  <td className="muted nowrap">{formatTime(e.createdAt)}</td>
                  <td className="exp-prompt" title={(e.inputs as LoggedInputs).prompt}>
                    {(e.inputs as LoggedInputs).prompt ?? '—'}
                  </td>
                  <td className="exp-ivs mono" title={ivs.map(describeIntervention).join('\n')}>
                    {ivs.length === 0 ? '—' : `${describeIntervention(ivs[0]!)}${ivs.length > 1 ? ` +${ivs.length - 1}` : ''}`}
                  </td>
                  <td className="num mono">{kl === undefined ? '—' : kl.toPrecision(3)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {noMore ? null : (
          <button type="button" className="btn small exp-more" onClick={() => void loadOlder()}>
            Load older
          </button>
        )}
      </div>
      {selected ? <ExperimentDetail key={selected.id} experiment={selected} /> : null}
    </div>
  );
}
