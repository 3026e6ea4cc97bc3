import { useMemo } from 'react';
import type { CommandOutput } from '@shared/contract';
import { AXIS_TEXT, signed, SPLIT_LINE, useEChart } from '../ui/charts/attribution';
import { htmlText } from '../ui/html-text';
import { shortUnit } from './inputs';

type Unit = CommandOutput<'attribution.run'>['units'][number];

/**
 * Predicted (attribution score) against measured (the metric's real change when the unit alone is
 * patched), one dot per verified unit, with the y = x line a perfect attribution would sit on.
 */
export function VerifyScatter({ units, kind }: { units: Unit[]; kind: 'neurons' | 'sae' }) {
  const points = useMemo(() => units.filter((u) => u.measured !== null), [units]);
  const option = useMemo(() => {
    const values = points.flatMap((u) => [u.score, u.measured!]);
    const lo = Math.min(0, ...values);
    const hi = Math.max(0, ...values);
    const pad = (hi - lo) * 0.06 || 1e-3;
    const axis = (name: string) => ({
      type: 'value',
      name,
      nameLocation: 'middle',
      nameGap: 26,
      nameTextStyle: { color: '#9aa3ad', fontSize: 11 },
      min: lo - pad,
      max: hi + pad,
      // The padded ends are not round numbers: label the ticks between them only.
      axisLabel: { ...AXIS_TEXT, formatter: signed, showMinLabel: false, showMaxLabel: false },
      splitLine: SPLIT_LINE,
    });
    return {
      animation: false,
      grid: { left: 58, right: 14, top: 10, bottom: 40 },
      tooltip: {
        trigger: 'item',
        formatter: (p: { seriesIndex: number; dataIndex: number }) => {
          if (p.seriesIndex !== 0) return 'y = x: measured equals predicted';
          const u = points[p.dataIndex]!;
          return `${htmlText(u.hook)}[${u.index}]<br/>predicted ${signed(u.score)}<br/>measured ${signed(u.measured!)}`;
        },
      },
      xAxis: axis('predicted (score)'),
      yAxis: { ...axis('measured'), nameGap: 44 },
      series: [
        {
          type: 'scatter',
          symbolSize: 7,
          data: points.map((u) => [u.score, u.measured]),
          itemStyle: { color: '#5aa9e6', opacity: 0.85 },
        },
        {
          type: 'line',
          data: [
            [lo - pad, lo - pad],
            [hi + pad, hi + pad],
          ],
          symbol: 'none',
          lineStyle: { color: '#7d858f', type: 'dashed', width: 1 },
          silent: true,
        },
      ],
    };
  }, [points]);
  const el = useEChart(option);
  const worst = points.reduce<Unit | null>((w, u) => (w === null || Math.abs(u.measured! - u.score) > Math.abs(w.measured! - w.score) ? u : w), null);
  return (
    <div
      ref={el}
      className="chart at-scatter"
      role="img"
      aria-label={`predicted against measured effect of ${points.length} units${worst ? `; largest miss ${shortUnit(worst, kind)}` : ''}`}
      data-testid="verify-scatter"
      data-points={points.length}
    />
  );
}
