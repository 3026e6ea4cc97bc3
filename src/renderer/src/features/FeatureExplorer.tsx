import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { on } from '../api/client';
import { useCommand } from '../api/hooks';
import { ExplorerFilters, NO_FILTERS, parseBound, type FilterInputs } from './ExplorerFilters';
import { FeatureRowView, ROW_HEIGHT } from './FeatureRow';
import { isEditable } from './keys';
import type { SaeSummary, SearchQuery, SearchScope, SearchSort } from './types';
import { useFeatureRows } from './useFeatureRows';
import { useWindowedList } from './useWindowedList';

/** Wait after the last keystroke before searching: fast typists send one query, not five. */
const SEARCH_DEBOUNCE_MS = 100;

const COLUMNS: Array<{ sort: SearchSort | null; label: string; className: string }> = [
  { sort: 'idx', label: 'idx', className: 'fx-idx' },
  { sort: null, label: 'label / explanation', className: 'fx-label' },
  { sort: null, label: 'top tokens', className: 'fx-tokens' },
  { sort: 'density', label: 'density', className: 'fx-num' },
  { sort: 'max_act', label: 'max act', className: 'fx-maxact' },
  { sort: 'f1', label: 'F1', className: 'fx-num' },
  { sort: 'relevance', label: 'relevance', className: 'fx-num' },
];
/** Where the search box looks; `all` (the default) also reads example text. */
const SCOPES: Array<{ scope: SearchScope; label: string }> = [
  { scope: 'all', label: 'everything' },
  { scope: 'labels', label: 'labels' },
  { scope: 'explanations', label: 'explanations' },
  { scope: 'tokens', label: 'top tokens' },
];
const DEFAULT_DESC: Record<SearchSort, boolean> = { idx: false, density: true, max_act: true, relevance: false, f1: true };

interface Props {
  sae: SaeSummary;
  /** Visible and owning the keyboard (false while a feature page covers it). */
  active: boolean;
  onOpen: (idx: number) => void;
}

export function FeatureExplorer({ sae, active, onOpen }: Props) {
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const [scope, setScope] = useState<SearchScope>('all');
  const [filters, setFilters] = useState<FilterInputs>(NO_FILTERS);
  const [sort, setSort] = useState<{ by: SearchSort; desc: boolean } | null>(null);
  const [selected, setSelected] = useState(0);
  const [version, setVersion] = useState(0);
  const search = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const timer = setTimeout(() => setQ(text.trim()), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  // Labels, tags and analyses change what rows say and which rows match: re-read in place.
  useEffect(() => on('catalog.changed', () => setVersion((v) => v + 1)), []);

  const query = useMemo((): Omit<SearchQuery, 'limit' | 'offset'> => {
    const pct = (t: string) => {
      const v = parseBound(t, 0, 100);
      return v === null || v === undefined ? undefined : v / 100;
    };
    const maxActMin = parseBound(filters.maxActMin);
    // Relevance without text means nothing: fall back to the server's default (idx).
    const effective = sort !== null && !(sort.by === 'relevance' && q === '') ? sort : null;
    return {
      saeId: sae.id,
      q: q === '' ? undefined : q,
      scope: q === '' || scope === 'all' ? undefined : scope,
      tags: filters.tags.length > 0 ? filters.tags : undefined,
      densityMin: pct(filters.densityMinPct),
      densityMax: pct(filters.densityMaxPct),
      maxActMin: maxActMin ?? undefined,
      sort: effective?.by,
      order: effective === null || effective.by === 'relevance' ? undefined : effective.desc ? 'desc' : 'asc',
    };
  }, [sae.id, q, scope, filters, sort]);
  const effectiveSort: SearchSort = query.sort ?? (query.q !== undefined ? 'relevance' : 'idx');
  const effectiveDesc = query.order === undefined ? DEFAULT_DESC[effectiveSort] : query.order === 'desc';
  /** Whether the top row is the "biggest": true for relevance, which always lists the best match first. */
  const shownDesc = effectiveSort === 'relevance' ? true : effectiveDesc;

  // The largest max activation of the SAE: the scale of every row's inline bar.
  const top = useCommand('catalog.search', { saeId: sae.id, sort: 'max_act', order: 'desc', limit: 1 }, ['catalog.changed']);
  const scaleMax = top.data?.rows[0]?.maxAct ?? 0;

  const [visible, setVisible] = useState<[number, number]>([0, 0]);
  const rows = useFeatureRows(query, version, visible);
  const list = useWindowedList(rows.total, ROW_HEIGHT);
  const [first, last] = list.visible;
  useEffect(() => setVisible([first, last]), [first, last]);

  // A new answer to a new query starts at its top.
  useEffect(() => {
    setSelected(0);
    list.scrollToIndex(0, 'start');
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows.queryKey]);
  // Coming back from a feature page: the selected row is where the user left it.
  useEffect(() => {
    if (active) list.scrollToIndex(selected);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [active]);

  const select = (index: number) => {
    const i = Math.max(0, Math.min(rows.total - 1, index));
    if (rows.total === 0) return;
    setSelected(i);
    list.scrollToIndex(i);
  };
  const openAt = (index: number) => {
    const row = rows.rowAt(index);
    if (row) onOpen(row.idx);
  };

  const openRef = useRef(openAt);
  openRef.current = openAt;
  // Stable, so the memoised rows re-render only when their own props change.
  const pick = useCallback((index: number) => {
    setSelected(index);
    openRef.current(index);
  }, []);

  const keys = useRef({ select, openAt, selected, pageRows: list.pageRows, total: rows.total });
  keys.current = { select, openAt, selected, pageRows: list.pageRows, total: rows.total };
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      const k = keys.current;
      const inSearch = e.target === search.current;
      const free = !isEditable(e.target);
      if (e.key === '/' && free) {
        e.preventDefault();
        search.current?.focus();
        search.current?.select();
      } else if (e.key === 'Escape' && (inSearch || free)) {
        e.preventDefault();
        setText('');
        setQ('');
      } else if (!(inSearch || free)) return;
      else if (e.key === 'ArrowDown') (e.preventDefault(), k.select(k.selected + 1));
      else if (e.key === 'ArrowUp') (e.preventDefault(), k.select(k.selected - 1));
      else if (e.key === 'PageDown') (e.preventDefault(), k.select(k.selected + k.pageRows));
      else if (e.key === 'PageUp') (e.preventDefault(), k.select(k.selected - k.pageRows));
      else if (e.key === 'Home' && free) (e.preventDefault(), k.select(0));
      else if (e.key === 'End' && free) (e.preventDefault(), k.select(k.total - 1));
      else if (e.key === 'Enter' && (inSearch || (free && !(e.target instanceof HTMLButtonElement)))) (e.preventDefault(), k.openAt(k.selected));
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [active]);

  const clickSort = (by: SearchSort) => {
    // Relevance has one direction, best first (the server ignores order for it).
    if (by === 'relevance') setSort({ by, desc: false });
    else if (effectiveSort === by) setSort({ by, desc: !effectiveDesc });
    else setSort({ by, desc: DEFAULT_DESC[by] });
  };

  return (
    <div className="fx-explorer" hidden={!active}>
      <div className="fx-toolbar">
        <input
          ref={search}
          type="search"
          className="fx-search"
          aria-label="Search features"
          aria-controls="fx-list"
          placeholder="Search labels, explanations, top tokens, example text   ( / )"
          value={text}
          onChange={(e) => setText(e.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
        <select className="fx-scope" aria-label="Search in" data-testid="search-scope" value={scope} onChange={(e) => setScope(e.target.value as SearchScope)}>
          {SCOPES.map((s) => (
            <option key={s.scope} value={s.scope}>
              in {s.label}
            </option>
          ))}
        </select>
        <span
          className="muted fx-count"
          data-testid="result-count"
          aria-live="polite"
          title={rows.totalIsLowerBound ? 'counted only this far, to stay fast; scroll on to count further, or narrow the search' : undefined}
        >
          {rows.queryKey === null
            ? '…'
            : `${rows.total.toLocaleString()}${rows.totalIsLowerBound ? '+' : ''} of ${sae.analysis?.featureCount.toLocaleString() ?? '?'} features`}
          {rows.loading ? ' · searching' : ''}
        </span>
      </div>
      <ExplorerFilters saeId={sae.id} value={filters} onChange={setFilters} />
      {rows.error ? (
        <p className="error-text" role="alert">
          {rows.error.message}
        </p>
      ) : null}
      <div className="fx-table">
        <div className="fx-head" role="presentation">
          {COLUMNS.map((c) =>
            c.sort === null ? (
              <span key={c.label} className={c.className}>
                {c.label}
              </span>
            ) : (
              <button
                key={c.label}
                className={`${c.className} fx-sort ${effectiveSort === c.sort ? 'active' : ''}`}
                aria-sort={effectiveSort === c.sort ? (shownDesc ? 'descending' : 'ascending') : 'none'}
                disabled={c.sort === 'relevance' && query.q === undefined}
                title={
                  c.sort === 'relevance'
                    ? query.q === undefined
                      ? 'type a search to rank by relevance'
                      : 'best match first'
                    : c.sort === 'f1'
                      ? 'sort by the explanation score on held-out windows (not scored: last)'
                      : `sort by ${c.label}`
                }
                onClick={() => clickSort(c.sort!)}
              >
                {c.label}
                {effectiveSort === c.sort ? (shownDesc ? ' ↓' : ' ↑') : ''}
              </button>
            ),
          )}
        </div>
        <div
          ref={list.scrollRef}
          id="fx-list"
          className="fx-list"
          role="listbox"
          aria-label="Features"
          aria-activedescendant={rows.total > 0 ? `fx-row-${selected}` : undefined}
          data-results-for={rows.queryKey === null ? undefined : rows.shownQ}
          data-total={rows.total}
          data-total-lower-bound={rows.totalIsLowerBound || undefined}
          tabIndex={-1}
        >
          <div className="fx-list-content" style={{ height: list.contentHeight }}>
            {list.rows.map(({ index, top: y }) => (
              <FeatureRowView
                key={index}
                index={index}
                top={y}
                row={rows.rowAt(index)}
                selected={index === selected}
                scaleMax={scaleMax}
                onPick={pick}
              />
            ))}
          </div>
          {rows.queryKey !== null && rows.total === 0 ? (
            <div className="fx-none muted">No feature matches{query.q ? ` “${query.q}”` : ''}{query.tags || query.densityMin !== undefined || query.densityMax !== undefined || query.maxActMin !== undefined ? ' with these filters' : ''}.</div>
          ) : null}
        </div>
      </div>
    </div>
  );
}
