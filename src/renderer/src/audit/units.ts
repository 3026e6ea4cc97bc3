// How an audited unit and its statistics read in tables and chart axes.
import { shortUnit } from '../attribution/inputs';

/** blocks.3.mlp.hook_post[17] → "L3 n17"; an SAE feature → "f17". */
export function unitLabel(u: { hook: string; index: number; unitKind: 'neuron' | 'sae-feature' }): string {
  return shortUnit(u, u.unitKind === 'sae-feature' ? 'sae' : 'neurons');
}

/** A number in a table cell: three significant digits, tiny and huge values in exponent form. */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1e-3 || a >= 1e5) return v.toExponential(1);
  return v.toPrecision(3);
}
