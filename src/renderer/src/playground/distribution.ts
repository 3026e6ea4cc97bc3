// Next-token distributions as the playground shows them: one run, or baseline beside intervened.
import type { ExperimentRunOutput, RunOutput } from '@shared/contract';

export interface DistributionRow {
  id: number;
  text: string;
  baseline: number | null;
  intervened: number | null;
}

/**
 * The `top` tokens most likely on either side, most likely first. A probability is looked up in the
 * other side's top list and the engine's `changes`; when neither has it, it stays null (never guessed).
 */
export function distributionRows(baseline: RunOutput, intervened: RunOutput | null, changes: ExperimentRunOutput['changes'] = [], top = 10): DistributionRow[] {
  const rows = new Map<number, DistributionRow>();
  const row = (id: number, text: string) => {
    let r = rows.get(id);
    if (!r) rows.set(id, (r = { id, text, baseline: null, intervened: null }));
    return r;
  };
  for (const t of baseline.next) row(t.id, t.text).baseline = t.prob;
  for (const t of intervened?.next ?? []) row(t.id, t.text).intervened = t.prob;
  for (const c of changes) {
    const r = rows.get(c.id);
    if (!r) continue;
    r.baseline ??= c.before;
    if (intervened) r.intervened ??= c.after;
  }
  const key = (r: DistributionRow) => Math.max(r.baseline ?? 0, r.intervened ?? 0);
  return [...rows.values()].sort((a, b) => key(b) - key(a)).slice(0, top);
}

export function formatProb(p: number | null): string {
  if (p === null) return '—';
  const pct = p * 100;
  if (pct >= 10) return `${pct.toFixed(1)}%`;
  if (pct >= 0.1) return `${pct.toFixed(2)}%`;
  return `${pct.toPrecision(2)}%`;
}

export function formatDelta(before: number, after: number): string {
  const d = (after - before) * 100;
  const s = Math.abs(d) >= 10 ? d.toFixed(1) : Math.abs(d) >= 0.1 ? d.toFixed(2) : d.toPrecision(2);
  return `${d > 0 ? '+' : ''}${s} pp`;
}

/** A lone byte of a multi-byte character decodes to U+FFFD: the id tells such tokens apart. */
export function tokenLabel(t: { id: number; text: string }, visible: (s: string) => string): string {
  return t.text.includes('\uFFFD') ? `${visible(t.text)}#${t.id}` : visible(t.text);
}
