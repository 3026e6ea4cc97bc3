import { useMemo } from 'react';
import type { CommandOutput } from '@shared/contract';
import { visibleToken } from '../features/tokens';
import { formatProb, tokenLabel } from '../playground/distribution';
import { AXIS_TEXT, LEGEND, MONO_LABEL, SPLIT_LINE, useEChart } from '../ui/charts/attribution';

type Patch = CommandOutput<'attribution.patch'>;
export interface PatchRow {
  id: number;
  text: string;
  source: number | null;
  before: number | null;
  after: number | null;
}

const SERIES = [
  { key: 'source', name: 'source', color: '#8f7ad6' },
  { key: 'before', name: 'target before', color: '#5aa9e6' },
  { key: 'after', name: 'target after', color: '#e58a4e' },
] as const;

/**
 * The tokens in any of the three top-K lists, most likely first. A token outside a list's top K
 * has no probability there (null, drawn as no bar): the engine did not report it, so none is guessed.
 */
export function patchRows(r: Pick<Patch, 'source' | 'before' | 'after'>, top = 12): PatchRow[] {
  const rows = new Map<number, PatchRow>();
  for (const key of ['source', 'before', 'after'] as const) {
    for (const t of r[key]) {
      let row = rows.get(t.id);
      if (!row) rows.set(t.id, (row = { id: t.id, text: t.text, source: null, before: null, after: null }));
      row[key] = t.prob;
    }
  }
  const size = (row: PatchRow) => Math.max(row.source ?? 0, row.before ?? 0, row.after ?? 0);
  return [...rows.values()].sort((a, b) => size(b) - size(a)).slice(0, top);
}

/** Source, target before and target after as one grouped horizontal bar chart. */
export function DistributionsChart({ rows }: { rows: PatchRow[] }) {
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 8, right: 16, top: 24, bottom: 22, containLabel: true },
      legend: LEGEND,
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number | null) => formatProb(v ?? null) },
      xAxis: { type: 'value', max: 'dataMax', axisLabel: { ...AXIS_TEXT, formatter: (v: number) => `${Math.round(v * 100)}%` }, splitLine: SPLIT_LINE },
      yAxis: { type: 'category', inverse: true, data: rows.map((r) => tokenLabel(r, visibleToken)), axisLabel: { ...MONO_LABEL, width: 90, overflow: 'truncate' }, axisTick: { show: false } },
      series: SERIES.map((s) => ({ name: s.name, type: 'bar', data: rows.map((r) => r[s.key]), itemStyle: { color: s.color }, barMaxWidth: 9, barGap: '10%' })),
    }),
    [rows],
  );
  const el = useEChart(option);
  const described = rows.map((r) => `${tokenLabel(r, visibleToken)} ${formatProb(r.source)} / ${formatProb(r.before)} → ${formatProb(r.after)}`).join(', ');
  return (
    <div
      ref={el}
      className="chart"
      style={{ height: 40 + rows.length * 30 }}
      role="img"
      aria-label={`next-token distributions, source / target before → after: ${described}`}
      data-testid="patch-chart"
      data-before={JSON.stringify(rows.map((r) => r.before))}
      data-after={JSON.stringify(rows.map((r) => r.after))}
    />
  );
}
