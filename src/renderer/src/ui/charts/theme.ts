// The charts' shared look: tooltips as dark panels matching the app (ECharts' default is a white
// box that glares on the dark UI). Registered once; every chart is created with THEME.
import * as echarts from 'echarts/core';

export const THEME = 'featurescope';

echarts.registerTheme(THEME, {
  tooltip: {
    backgroundColor: '#22262b',
    borderColor: '#2c3137',
    textStyle: { color: '#d7dce1', fontSize: 12 },
    extraCssText: 'box-shadow: 0 2px 8px rgba(0,0,0,0.5);',
  },
});
