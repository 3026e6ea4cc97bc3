// The ECharts pieces the feature page uses, registered once (tree-shaken like ui/LineChart.tsx).
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { THEME } from './theme';

echarts.use([BarChart, GridComponent, TooltipComponent, CanvasRenderer]);

export type ChartOption = echarts.EChartsCoreOption;

export const AXIS_TEXT = { color: '#7d858f', fontSize: 10 };
export const SPLIT_LINE = { lineStyle: { color: '#262a30' } };

/** A canvas chart bound to a div: created on mount, resized with its box, re-optioned when `option` changes. */
export function useEChart(option: ChartOption) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);

  useEffect(() => {
    const node = el.current!;
    chart.current = echarts.init(node, THEME, { renderer: 'canvas' });
    const observer = new ResizeObserver(() => chart.current?.resize());
    observer.observe(node);
    return () => {
      observer.disconnect();
      chart.current?.dispose();
      chart.current = undefined;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);

  return el;
}
