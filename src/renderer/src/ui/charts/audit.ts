// Chart pieces this view adds: mark lines and points (the target accuracy, the chosen λ), and
// the colours its charts share.
import * as echarts from 'echarts/core';
import { MarkLineComponent, MarkPointComponent } from 'echarts/components';

echarts.use([MarkLineComponent, MarkPointComponent]);

export const ACCURACY_COLORS = { test: '#5aa9e6', train: '#9aa3ad', units: '#d98a45' };
/** Effect towards side A / side B of a contrast set. */
export const SIDE_COLORS = { a: '#c58be0', b: '#5bbf7a' };
