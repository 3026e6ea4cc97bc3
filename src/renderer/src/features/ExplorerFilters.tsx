import { useCommand } from '../api/hooks';

export interface FilterInputs {
  tags: string[];
  /** As typed: density bounds in percent, max activation minimum. */
  densityMinPct: string;
  densityMaxPct: string;
  maxActMin: string;
}

export const NO_FILTERS: FilterInputs = { tags: [], densityMinPct: '', densityMaxPct: '', maxActMin: '' };

/** A typed number: undefined when blank, null when it is not a number in [min, max]. */
export function parseBound(text: string, min = -Infinity, max = Infinity): number | undefined | null {
  const t = text.trim();
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) && v >= min && v <= max ? v : null;
}

export function ExplorerFilters({ saeId, value, onChange }: { saeId: number; value: FilterInputs; onChange: (next: FilterInputs) => void }) {
  const tags = useCommand('catalog.tags', { saeId }, ['catalog.changed']);
  const available = (tags.data ?? []).filter((t) => !value.tags.includes(t.name));
  const densityMin = parseBound(value.densityMinPct, 0, 100);
  const densityMax = parseBound(value.densityMaxPct, 0, 100);
  const maxAct = parseBound(value.maxActMin);
  const any = value.tags.length > 0 || value.densityMinPct !== '' || value.densityMaxPct !== '' || value.maxActMin !== '';

  return (
    <div className="fx-filters" role="group" aria-label="Filters">
      <label className="fx-filter">
        <span>tag</span>
        <select
          aria-label="Filter by tag"
          value=""
          disabled={available.length === 0}
          onChange={(e) => e.target.value && onChange({ ...value, tags: [...value.tags, e.target.value] })}
        >
          <option value="">{tags.data && tags.data.length === 0 ? 'no tags yet' : 'add…'}</option>
          {available.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name} ({t.count.toLocaleString()})
            </option>
          ))}
        </select>
      </label>
      {value.tags.map((t) => (
        <span key={t} className="chip" data-filter-tag={t}>
          {t}
          <button className="chip-x" aria-label={`Remove tag filter ${t}`} onClick={() => onChange({ ...value, tags: value.tags.filter((x) => x !== t) })}>
            ×
          </button>
        </span>
      ))}
      <label className="fx-filter">
        <span>density %</span>
        <input
          aria-label="Density minimum (%)"
          placeholder="min"
          inputMode="decimal"
          value={value.densityMinPct}
          aria-invalid={densityMin === null}
          title="percent of tokens, 0-100"
          onChange={(e) => onChange({ ...value, densityMinPct: e.target.value })}
        />
        <span className="muted">–</span>
        <input
          aria-label="Density maximum (%)"
          placeholder="max"
          inputMode="decimal"
          value={value.densityMaxPct}
          aria-invalid={densityMax === null}
          title="percent of tokens, 0-100"
          onChange={(e) => onChange({ ...value, densityMaxPct: e.target.value })}
        />
      </label>
      <label className="fx-filter">
        <span>max act ≥</span>
        <input
          aria-label="Max activation minimum"
          placeholder="any"
          inputMode="decimal"
          value={value.maxActMin}
          aria-invalid={maxAct === null}
          onChange={(e) => onChange({ ...value, maxActMin: e.target.value })}
        />
      </label>
      {any ? (
        <button className="btn small" onClick={() => onChange(NO_FILTERS)}>
          Clear filters
        </button>
      ) : null}
      {densityMin === null || densityMax === null || maxAct === null ? (
        <span className="error-text" role="alert">
          {maxAct === null ? 'max act must be a number' : 'density must be a percentage between 0 and 100'}
        </span>
      ) : null}
      {tags.error ? <span className="error-text">tags: {tags.error.message}</span> : null}
    </div>
  );
}
