import { useMemo } from 'react';
import type { Histogram } from './types';
import { AXIS_TEXT, SPLIT_LINE, useEChart } from '../ui/charts/echarts';
import { binEdges } from './histogram-bins';
import { formatAct } from './tokens';

/** The activation histogram as bars; x labels are bin starts (powers of ten on a log10 histogram). */
export function HistogramChart({ histogram }: { histogram: Histogram }) {
  const option = useMemo(() => {
    const labels = histogram.counts.map((_, i) => formatAct(binEdges(histogram, i)[0]));
    return {
      animation: false,
      grid: { left: 44, right: 10, top: 14, bottom: 36 },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (params: Array<{ dataIndex: number; value: number }>) => {
          const p = params[0]!;
          const [a, b] = binEdges(histogram, p.dataIndex);
          return `${formatAct(a)} – ${formatAct(b)}<br/>${p.value.toLocaleString()} activations`;
        },
      },
      xAxis: {
        type: 'category',
        data: labels,
        name: histogram.scale === 'log10' ? 'activation (log scale)' : 'activation',
        nameLocation: 'middle',
        nameGap: 22,
        nameTextStyle: { color: '#7d858f', fontSize: 11 },
        axisLabel: { ...AXIS_TEXT, hideOverlap: true },
        axisTick: { alignWithLabel: true },
      },
      yAxis: { type: 'value', axisLabel: AXIS_TEXT, splitLine: SPLIT_LINE, minInterval: 1 },
      series: [{ type: 'bar', data: histogram.counts, barCategoryGap: '8%', itemStyle: { color: '#d98a45' } }],
    };
  }, [histogram]);
  const el = useEChart(option);
  return <div ref={el} className="chart" style={{ height: 170 }} aria-label="activation histogram chart" data-bins={histogram.counts.length} data-scale={histogram.scale} />;
}
