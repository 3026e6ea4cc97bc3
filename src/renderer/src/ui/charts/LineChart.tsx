import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { LineChart as ELine } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { THEME } from './theme';

echarts.use([ELine, GridComponent, TooltipComponent, LegendComponent, CanvasRenderer]);

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

/**
 * A small live line chart (ECharts, canvas) under its title in words. One y axis per chart keeps it
 * honest; split metrics into several charts. `xLabel` and `yLabel` are the units of the axes.
 */
export function LineChart({ title, xLabel, yLabel = '', series, height = 160, metric }: { title: string; xLabel: string; yLabel?: string; series: Series[]; height?: number; metric?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);

  useEffect(() => {
    chart.current = echarts.init(el.current!, THEME, { renderer: 'canvas' });
    const resize = () => chart.current?.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.current?.dispose();
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(
      {
        animation: false,
        title: { show: false },
        grid: { left: 48, right: 12, top: 24, bottom: 28 },
        tooltip: { trigger: 'axis' },
        legend: { show: series.length > 1, top: 0, textStyle: { color: '#9aa3ad', fontSize: 11 } },
        xAxis: { type: 'value', name: xLabel, nameLocation: 'middle', nameGap: 20, nameTextStyle: { color: '#7d858f', fontSize: 11 }, axisLabel: { color: '#7d858f', fontSize: 10 }, splitLine: { show: false }, scale: true },
        yAxis: { type: 'value', name: yLabel, nameTextStyle: { color: '#9aa3ad', fontSize: 11, align: 'left' }, axisLabel: { color: '#7d858f', fontSize: 10 }, splitLine: { lineStyle: { color: '#262a30' } }, scale: true },
        series: series.map((s) => ({ type: 'line', name: s.name, data: s.points, showSymbol: false, lineStyle: { width: 1.5 } })),
      },
      { notMerge: true },
    );
  }, [title, xLabel, yLabel, series]);

  return (
    <figure className="chart-figure" data-metric={metric} data-x-unit={xLabel}>
      <figcaption className="chart-title">{title}</figcaption>
      <div ref={el} className="chart" style={{ height }} aria-label={`${title} chart`} role="img" />
    </figure>
  );
}
