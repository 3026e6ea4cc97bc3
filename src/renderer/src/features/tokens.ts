// How strongly a token is highlighted for an activation, and number formats; how its text is
// shown lives in shared/token-display (one renderer for every view, the CLI too).
import { tokenLabelText } from '@shared/token-display';

/** The token as one plain string (canvas labels and tooltips): the chip form of shared/token-display. */
export function visibleToken(token: string): string {
  return tokenLabelText(token, 'chip');
}

/** Fraction of the feature's maximum, clamped to [0, 1]; 0 when the maximum is not positive. */
export function heatFraction(value: number, featureMax: number): number {
  if (!(featureMax > 0) || !(value > 0)) return 0;
  return Math.min(1, value / featureMax);
}

/** Background for a token: an orange whose opacity is proportional to value / feature max. */
export function heatBackground(fraction: number): string | undefined {
  if (fraction <= 0) return undefined;
  return `rgba(245, 140, 60, ${(0.08 + 0.82 * fraction).toFixed(3)})`;
}

/** Index of the largest value (the first one on ties), or -1 for an empty list. */
export function peakIndex(values: readonly number[]): number {
  let best = -1;
  let bestValue = -Infinity;
  values.forEach((v, i) => {
    if (v > bestValue) {
      best = i;
      bestValue = v;
    }
  });
  return best;
}

export { formatDensity } from '@shared/format-density';

/** An activation value, three significant digits (tabular, compact). */
export function formatAct(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const a = Math.abs(value);
  if (a === 0) return '0';
  if (a >= 1000) return value.toFixed(0);
  if (a >= 0.01) return Number(value.toPrecision(3)).toString();
  return value.toExponential(1);
}

/** The shortest decimal that reads back as the same float32 (how the catalog stores activations). */
export function formatFloat32(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const f = Math.fround(value);
  for (let p = 1; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}
