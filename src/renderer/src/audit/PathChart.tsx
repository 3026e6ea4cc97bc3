import { useMemo } from 'react';
import type { ProbeTrainOutput } from '@shared/contract';
import { AXIS_TEXT, LEGEND, SPLIT_LINE, useEChart } from '../ui/charts/attribution';
import { ACCURACY_COLORS } from '../ui/charts/audit';

type Step = ProbeTrainOutput['path'][number];

/**
 * The lasso path two ways, side by side: held-out and training accuracy against how many units
 * the probe uses (the trade-off to pick from), and how many it uses against log10 λ (how the
 * penalty buys sparsity). The target accuracy and the chosen λ are marked on both.
 */
export function PathChart({ path, targetAccuracy, chosenLambda }: { path: Step[]; targetAccuracy: number; chosenLambda: number | null }) {
  const chosen = path.find((s) => s.lambda === chosenLambda);
  const accuracy = useMemo(
    () => ({
      animation: false,
      grid: { left: 44, right: 14, top: 26, bottom: 34 },
      legend: { ...LEGEND, data: ['held-out', 'training'] },
      tooltip: {
        trigger: 'item',
        formatter: (p: { seriesName: string; data: [number, number, number] }) => `${p.seriesName} accuracy ${(p.data[1] * 100).toFixed(1)}%<br/>${p.data[0]} units · log10 λ ${p.data[2].toFixed(2)}`,
      },
      xAxis: { type: 'value', name: 'units in the probe', nameLocation: 'middle', nameGap: 22, nameTextStyle: AXIS_TEXT, axisLabel: AXIS_TEXT, splitLine: { show: false }, minInterval: 1 },
      yAxis: { type: 'value', min: (v: { min: number }) => Math.max(0, Math.floor(v.min * 10) / 10), max: 1, axisLabel: { ...AXIS_TEXT, formatter: (v: number) => `${Math.round(v * 100)}%` }, splitLine: SPLIT_LINE },
      series: [
        {
          name: 'held-out',
          type: 'line',
          step: 'end',
          symbolSize: 5,
          data: path.map((s) => [s.features.length, s.testAccuracy, Math.log10(s.lambda)]),
          lineStyle: { width: 1.5, color: ACCURACY_COLORS.test },
          itemStyle: { color: ACCURACY_COLORS.test },
          markLine: {
            silent: true,
            symbol: 'none',
            label: { color: '#9aa3ad', fontSize: 10, formatter: `target ${Math.round(targetAccuracy * 100)}%`, position: 'insideEndTop' },
            lineStyle: { color: '#7d858f', type: 'dashed' },
            data: [{ yAxis: targetAccuracy }],
          },
          markPoint: chosen
            ? { symbol: 'circle', symbolSize: 11, itemStyle: { color: 'transparent', borderColor: '#fff', borderWidth: 1.5 }, label: { show: false }, data: [{ coord: [chosen.features.length, chosen.testAccuracy] }] }
            : undefined,
        },
        { name: 'training', type: 'line', step: 'end', symbolSize: 4, data: path.map((s) => [s.features.length, s.trainAccuracy, Math.log10(s.lambda)]), lineStyle: { width: 1, type: 'dashed', color: ACCURACY_COLORS.train }, itemStyle: { color: ACCURACY_COLORS.train } },
      ],
    }),
    [path, targetAccuracy, chosen],
  );
  const sparsity = useMemo(
    () => ({
      animation: false,
      grid: { left: 46, right: 14, top: 26, bottom: 34 },
      tooltip: { trigger: 'item', formatter: (p: { data: [number, number] }) => `log10 λ ${p.data[0].toFixed(2)}<br/>${p.data[1]} units` },
      xAxis: { type: 'value', name: 'log10 λ (strong penalty on the left)', nameLocation: 'middle', nameGap: 22, nameTextStyle: AXIS_TEXT, axisLabel: { ...AXIS_TEXT, hideOverlap: true, formatter: (v: number) => v.toFixed(1) }, splitLine: { show: false }, inverse: true, min: 'dataMin', max: 'dataMax' },
      yAxis: { type: 'value', name: 'units in the probe', nameLocation: 'middle', nameGap: 28, nameTextStyle: AXIS_TEXT, axisLabel: AXIS_TEXT, splitLine: SPLIT_LINE, minInterval: 1 },
      series: [
        {
          type: 'line',
          step: 'middle',
          symbolSize: 4,
          data: path.map((s) => [Math.log10(s.lambda), s.features.length]),
          lineStyle: { width: 1.5, color: ACCURACY_COLORS.units },
          itemStyle: { color: ACCURACY_COLORS.units },
          markLine: chosen
            ? { silent: true, symbol: 'none', label: { color: '#9aa3ad', fontSize: 10, formatter: 'smallest set', position: 'end' }, lineStyle: { color: '#7d858f', type: 'dashed' }, data: [{ xAxis: Math.log10(chosen.lambda) }] }
            : undefined,
        },
      ],
    }),
    [path, chosen],
  );
  const accuracyEl = useEChart(accuracy);
  const sparsityEl = useEChart(sparsity);
  return (
    <div className="pa-path-charts">
      <div
        ref={accuracyEl}
        className="chart"
        style={{ height: 210 }}
        role="img"
        aria-label="probe accuracy against the number of units"
        data-testid="path-chart"
        data-points={JSON.stringify(path.map((s) => [s.features.length, s.testAccuracy]))}
      />
      <div ref={sparsityEl} className="chart" style={{ height: 210 }} role="img" aria-label="number of units against log lambda" data-testid="sparsity-chart" />
    </div>
  );
}
