import { useEffect, useMemo, useState } from 'react';
import type { CommandInput } from '@shared/contract';

type ExperimentKind = NonNullable<CommandInput<'catalog.experiments'>['kind']>;
import { call } from '../api/client';
import { useCommand } from '../api/hooks';
import { formatTime } from '../ui/format';
import type { NavRequest } from '../app/navigation';
import { ExperimentDetail } from './ExperimentDetail';
import type { LoggedExperiment } from './logged';
import { summarize } from './row-summary';
import { labelOf, useFeatureLabels } from './useFeatureLabels';
import '../playground/playground.css';
import './experiments.css';

const PAGE = 50;
const KINDS: ExperimentKind[] = ['ablation', 'steering', 'attribution', 'probe', 'audit', 'scan', 'circuit'];
/** Wait after the last keystroke before asking the catalog. */
const TEXT_DEBOUNCE_MS = 200;

interface Filters {
  kind: ExperimentKind | '';
  saeId: number | null;
  text: string;
}

/** The experiment log, newest first: every ablation and steering run, citable and replayable. */
export function ExperimentLogView({ focus }: { focus?: NavRequest<'experiment'> | undefined }) {
  const [filters, setFilters] = useState<Filters>({ kind: '', saeId: null, text: '' });
  const [q, setQ] = useState('');
  useEffect(() => {
    const timer = setTimeout(() => setQ(filters.text.trim()), TEXT_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [filters.text]);
  const query = useMemo((): CommandInput<'catalog.experiments'> => ({
    limit: PAGE,
    ...(filters.kind ? { kind: filters.kind } : {}),
    ...(filters.saeId !== null ? { saeId: filters.saeId } : {}),
    ...(q ? { q } : {}),
  }), [filters.kind, filters.saeId, q]);
  const filtered = query.kind !== undefined || query.saeId !== undefined || query.q !== undefined;
  const first = useCommand('catalog.experiments', query, ['catalog.changed']);
  const saes = useCommand('catalog.saes', {}, ['catalog.changed']);
  const saeName = (id: number | null) => (id === null ? null : (saes.data?.find((s) => s.id === id)?.name ?? `SAE #${id}`));
  const [older, setOlder] = useState<LoggedExperiment[]>([]);
  // Another filter: older pages of the last one do not belong to it.
  useEffect(() => setOlder([]), [query]);
  const [noMore, setNoMore] = useState(false);
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [focusError, setFocusError] = useState<string>();
  // Entries fetched because another view linked to them; kept apart so paging stays contiguous.
  const [linked, setLinked] = useState<LoggedExperiment[]>([]);
  const paged = [...(first.data ?? []), ...older.filter((o) => !(first.data ?? []).some((f) => f.id === o.id))];
  const rows = [...paged, ...(filtered ? [] : linked.filter((l) => !paged.some((p) => p.id === l.id)))].sort((a, b) => b.id - a.id);
  const summaries = useMemo(() => new Map(rows.map((r) => [r.id, summarize(r)])), [rows]);
  const labels = useFeatureLabels([...summaries.values()].flatMap((s) => (s.feature ? [s.feature] : [])));
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
    const page = await call('catalog.experiments', { ...query, beforeId: last.id });
    setOlder((o) => [...o, ...page]);
    if (page.length < PAGE) setNoMore(true);
  };

  if (first.error && !first.data) return <p className="error-text">Cannot read the experiment log: {first.error.message}</p>;
  if (!first.data) return <p className="muted">Reading the experiment log…</p>;
  if (rows.length === 0 && !filtered) {
    return (
      <div className="empty" data-testid="experiments-empty">
        <h2>No experiments yet</h2>
        <p>Every ablation, steering, attribution, probe, audit and scan run is logged here with a cite id (exp-000123), its inputs and outputs, so it can be cited and replayed.</p>
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
        <form className="exp-filters" role="search" aria-label="Filter the experiment log" onSubmit={(e) => e.preventDefault()}>
          <select aria-label="Filter by kind" value={filters.kind} onChange={(e) => setFilters((f) => ({ ...f, kind: e.target.value as Filters['kind'] }))}>
            <option value="">every kind</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
          <select aria-label="Filter by SAE" value={filters.saeId ?? ''} onChange={(e) => setFilters((f) => ({ ...f, saeId: e.target.value === '' ? null : Number(e.target.value) }))}>
            <option value="">every SAE</option>
            {(saes.data ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
          <input type="search" aria-label="Search the log" placeholder="prompt, hook, contrast set, SAE name…" value={filters.text} onChange={(e) => setFilters((f) => ({ ...f, text: e.target.value }))} />
          <span className="muted" data-testid="exp-count">
            {rows.length}
            {noMore ? '' : '+'} shown
          </span>
        </form>
        {rows.length === 0 ? (
          <p className="muted" data-testid="experiments-none-match">
            No experiment matches these filters.
          </p>
        ) : (
          <table className="table compact" aria-label="Experiment log">
            <thead>
              <tr>
                <th>Cite id</th>
                <th>Kind</th>
                <th>Time</th>
                <th>About</th>
                <th>Context</th>
                <th className="num">Figure</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => {
                const sum = summaries.get(e.id)!;
                const label = labelOf(labels, sum.feature);
                const sae = saeName(e.saeId);
                const about = `${sum.subject}${label ? ` “${label}”` : ''}${sae ? ` · ${sae}` : ''}`;
                return (
                  <tr key={e.id} className={e === selected ? 'selected' : ''} onClick={() => setSelectedId(e.id)} data-cite={e.citeId} data-exp-id={e.id} data-kind={e.kind}>
                    <td className="mono">{e.citeId}</td>
                    <td>
                      <span className={`badge kind-${e.kind}`}>{e.kind}</span>
                    </td>
                    <td className="muted nowrap">{formatTime(e.createdAt)}</td>
                    <td className="exp-about" title={about} data-testid="exp-about">
                      <span className="mono">{sum.subject}</span>
                      {label ? <span className="exp-label"> “{label}”</span> : null}
                      {sae ? <span className="muted"> · {sae}</span> : null}
                    </td>
                    <td className="exp-context" title={sum.context}>
                      {sum.context}
                    </td>
                    <td className="num mono">{sum.figure}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {noMore ? null : (
          <button type="button" className="btn small exp-more" onClick={() => void loadOlder()}>
            Load older
          </button>
        )}
      </div>
      {selected ? <ExperimentDetail key={selected.id} experiment={selected} saeName={saeName(selected.saeId)} /> : null}
    </div>
  );
}
