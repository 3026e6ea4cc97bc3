import { useMemo } from 'react';
import type { AuditRunResult } from '@shared/contract';
import { AXIS_TEXT, MONO_LABEL, signed, SPLIT_LINE, useEChart } from '../ui/charts/attribution';
import { htmlText } from '../ui/html-text';
import { SIDE_COLORS } from '../ui/charts/audit';
import { unitLabel } from './units';

type Finding = AuditRunResult['findings'][number];

/** Cohen's d of every finding as diverging bars: right = higher on side B, left = higher on side A. */
export function EffectChart({ findings, sideA, sideB }: { findings: Finding[]; sideA: string; sideB: string }) {
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 8, right: 24, top: 6, bottom: 22, containLabel: true },
      tooltip: {
        trigger: 'item',
        formatter: (p: { dataIndex: number }) => {
          const f = findings[p.dataIndex]!;
          return `${htmlText(f.hook)}[${f.index}]<br/>Cohen's d ${signed(f.cohenD)} · q ${f.q.toExponential(1)}<br/>mean ${htmlText(sideA)} ${f.meanA.toPrecision(3)} · ${htmlText(sideB)} ${f.meanB.toPrecision(3)}`;
        },
      },
      xAxis: { type: 'value', axisLabel: { ...AXIS_TEXT, formatter: signed }, splitLine: SPLIT_LINE },
      yAxis: { type: 'category', inverse: true, data: findings.map(unitLabel), axisLabel: MONO_LABEL, axisTick: { show: false } },
      series: [{ type: 'bar', barCategoryGap: '25%', data: findings.map((f) => ({ value: f.cohenD, itemStyle: { color: f.cohenD >= 0 ? SIDE_COLORS.b : SIDE_COLORS.a } })) }],
    }),
    [findings, sideA, sideB],
  );
  const el = useEChart(option);
  return (
    <div
      ref={el}
      className="chart"
      style={{ height: 34 + findings.length * 18 }}
      role="img"
      aria-label={`effect sizes of ${findings.length} findings`}
      data-testid="effect-chart"
      data-effects={JSON.stringify(findings.map((f) => f.cohenD))}
    />
  );
}
