// The chart types this view adds to the ones features/echarts.ts registers: the verification
// scatter with its y = x line, and legends for the grouped bars.
import * as echarts from 'echarts/core';
import { LineChart, ScatterChart } from 'echarts/charts';
import { LegendComponent } from 'echarts/components';

echarts.use([ScatterChart, LineChart, LegendComponent]);

export { AXIS_TEXT, SPLIT_LINE, useEChart } from './echarts';

export const POSITIVE = '#5bbf7a';
export const NEGATIVE = '#e26d6d';
export const LEGEND = { top: 0, right: 8, itemWidth: 10, itemHeight: 8, textStyle: { color: '#9aa3ad', fontSize: 11 } };
export const MONO_LABEL = { color: '#c9d0d7', fontSize: 11, fontFamily: 'DejaVu Sans Mono, monospace' };

/** A compact signed number for axes and tooltips. */
export function signed(v: number): string {
  const a = Math.abs(v);
  const s = a === 0 ? '0' : a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(2) : a >= 0.001 ? v.toFixed(3) : v.toExponential(1);
  return v > 0 ? `+${s}` : s;
}
