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

/** A small live line chart (ECharts, canvas). One y axis per chart keeps it honest; split metrics into several charts. */
export function LineChart({ title, xLabel, series, height = 160 }: { title: string; xLabel: string; series: Series[]; height?: number }) {
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
        yAxis: { type: 'value', name: title, nameTextStyle: { color: '#9aa3ad', fontSize: 11, align: 'left' }, axisLabel: { color: '#7d858f', fontSize: 10 }, splitLine: { lineStyle: { color: '#262a30' } }, scale: true },
        series: series.map((s) => ({ type: 'line', name: s.name, data: s.points, showSymbol: false, lineStyle: { width: 1.5 } })),
      },
      { notMerge: true },
    );
  }, [title, xLabel, series]);

  return <div ref={el} className="chart" style={{ height }} aria-label={`${title} chart`} />;
}
