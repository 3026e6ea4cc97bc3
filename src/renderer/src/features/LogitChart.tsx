import { useMemo } from 'react';
import type { LogitEffects } from './types';
import { AXIS_TEXT, SPLIT_LINE, useEChart } from '../ui/charts/echarts';
import { htmlText } from '../ui/html-text';
import { formatAct, visibleToken } from './tokens';

const POSITIVE = '#5bbf7a';
const NEGATIVE = '#e26d6d';

/** Promoted tokens (biggest first) above suppressed ones (most negative last), one diverging bar chart. */
export function LogitChart({ effects }: { effects: LogitEffects }) {
  const rows = useMemo(() => [...effects.promoted, ...[...effects.suppressed].reverse()], [effects]);
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 8, right: 16, top: 6, bottom: 22, containLabel: true },
      tooltip: {
        trigger: 'item',
        formatter: (p: { dataIndex: number }) => {
          const [token, value] = rows[p.dataIndex]!;
          return `${htmlText(visibleToken(token))}: ${value > 0 ? '+' : ''}${formatAct(value)}`;
        },
      },
      xAxis: { type: 'value', axisLabel: AXIS_TEXT, splitLine: SPLIT_LINE },
      yAxis: {
        type: 'category',
        inverse: true,
        data: rows.map(([t]) => visibleToken(t)),
        axisLabel: { color: '#c4cad1', fontSize: 11, fontFamily: 'DejaVu Sans Mono, monospace' },
        axisTick: { show: false },
      },
      series: [
        {
          type: 'bar',
          barCategoryGap: '25%',
          data: rows.map(([, v]) => ({ value: v, itemStyle: { color: v >= 0 ? POSITIVE : NEGATIVE } })),
        },
      ],
    }),
    [rows],
  );
  const el = useEChart(option);
  return (
    <div
      ref={el}
      className="chart"
      style={{ height: 28 + rows.length * 17 }}
      aria-label="logit effects chart"
      aria-description={rows.map(([t, v]) => `${visibleToken(t)} ${v > 0 ? '+' : ''}${formatAct(v)}`).join(', ')}
      data-testid="logit-chart"
      data-tokens={JSON.stringify(rows.map(([t]) => visibleToken(t)))}
      data-promoted={effects.promoted.length}
      data-suppressed={effects.suppressed.length}
    />
  );
}
