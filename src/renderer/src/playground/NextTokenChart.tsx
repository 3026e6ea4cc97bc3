import { useMemo } from 'react';
import { AXIS_TEXT, SPLIT_LINE, useEChart } from '../ui/charts/echarts';
import { visibleToken } from '../features/tokens';
import { formatProb, tokenLabel, type DistributionRow } from './distribution';

const BASELINE = '#5aa9e6';
const INTERVENED = '#e58a4e';

/** Next-token probabilities as horizontal bars, most likely on top; a second bar per token when intervened. */
export function NextTokenChart({ rows, compare }: { rows: DistributionRow[]; compare: boolean }) {
  const option = useMemo(() => {
    const labels = rows.map((r) => tokenLabel(r, visibleToken));
    const series = [{ name: compare ? 'baseline' : 'probability', type: 'bar', data: rows.map((r) => r.baseline), itemStyle: { color: BASELINE }, barMaxWidth: 12 }];
    if (compare) series.push({ name: 'intervened', type: 'bar', data: rows.map((r) => r.intervened), itemStyle: { color: INTERVENED }, barMaxWidth: 12 });
    return {
      animation: false,
      grid: { left: 86, right: 16, top: compare ? 22 : 6, bottom: 22 },
      legend: { show: compare, top: 0, right: 8, itemWidth: 10, itemHeight: 8, textStyle: { color: '#9aa3ad', fontSize: 11 } },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v: number | null) => formatProb(v ?? null) },
      xAxis: { type: 'value', max: 'dataMax', axisLabel: { ...AXIS_TEXT, formatter: (v: number) => `${Math.round(v * 100)}%` }, splitLine: SPLIT_LINE },
      yAxis: { type: 'category', inverse: true, data: labels, axisLabel: { color: '#c9d0d7', fontSize: 11, fontFamily: 'DejaVu Sans Mono, monospace', width: 76, overflow: 'truncate' }, axisTick: { show: false } },
      series,
    };
  }, [rows, compare]);
  const el = useEChart(option);
  const described = rows.map((r) => `${tokenLabel(r, visibleToken)} ${formatProb(r.baseline)}${compare ? ` → ${formatProb(r.intervened)}` : ''}`).join(', ');
  return (
    <div
      ref={el}
      className="chart"
      style={{ height: 28 + rows.length * (compare ? 24 : 19) }}
      role="img"
      aria-label={`next-token distribution: ${described}`}
      data-testid="next-token-chart"
      data-baseline={JSON.stringify(rows.map((r) => r.baseline))}
      data-intervened={compare ? JSON.stringify(rows.map((r) => r.intervened)) : undefined}
    />
  );
}

