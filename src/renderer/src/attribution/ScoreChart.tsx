import { useMemo } from 'react';
import type { CommandOutput } from '@shared/contract';
import { AXIS_TEXT, MONO_LABEL, NEGATIVE, POSITIVE, signed, SPLIT_LINE, useEChart } from '../ui/charts/attribution';
import { htmlText } from '../ui/html-text';
import { shortUnit } from './inputs';

type Unit = CommandOutput<'attribution.run'>['units'][number];

/** The top units' attribution scores as diverging horizontal bars, largest |score| on top. */
export function ScoreChart({ units, kind }: { units: Unit[]; kind: 'neurons' | 'sae' }) {
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 8, right: 20, top: 6, bottom: 22, containLabel: true },
      tooltip: {
        trigger: 'item',
        formatter: (p: { dataIndex: number }) => {
          const u = units[p.dataIndex]!;
          return `${htmlText(u.hook)}[${u.index}]<br/>score ${signed(u.score)}${u.measured !== null ? `<br/>measured ${signed(u.measured)}` : ''}`;
        },
      },
      xAxis: { type: 'value', axisLabel: { ...AXIS_TEXT, formatter: signed }, splitLine: SPLIT_LINE },
      yAxis: { type: 'category', inverse: true, data: units.map((u) => shortUnit(u, kind)), axisLabel: MONO_LABEL, axisTick: { show: false } },
      series: [{ type: 'bar', barCategoryGap: '25%', data: units.map((u) => ({ value: u.score, itemStyle: { color: u.score >= 0 ? POSITIVE : NEGATIVE } })) }],
    }),
    [units, kind],
  );
  const el = useEChart(option);
  return (
    <div
      ref={el}
      className="chart"
      style={{ height: 28 + units.length * 17 }}
      role="img"
      aria-label={`attribution scores of the top ${units.length} units`}
      data-testid="score-chart"
      data-scores={JSON.stringify(units.map((u) => u.score))}
    />
  );
}
