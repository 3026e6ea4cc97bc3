// Features that share an explanation ("fires on \" the\"" for five features of one SAE) are told
// apart by what stands next to them where they fire: for each one, the preceding or following
// token whose share of its firing positions most exceeds its share in every other feature of the
// group — `after " the"` (the token before is " the"), `before "("` (the token after is "(").
// Deterministic, like the explanation itself.
import { ACTIVE_FRACTION, byteRuns, type ExplainExample } from './explain';

/** How often each token stands just before / just after the positions where a feature fires. */
export interface Neighbours {
  /** Firing positions counted (≥ ACTIVE_FRACTION of their example's peak, as explanations count them). */
  readonly firings: number;
  readonly before: ReadonlyMap<string, number>;
  readonly after: ReadonlyMap<string, number>;
}

export function neighboursOf(examples: readonly ExplainExample[]): Neighbours {
  const before = new Map<string, number>();
  const after = new Map<string, number>();
  let firings = 0;
  for (const ex of examples) {
    let peak = 0;
    for (const v of ex.values) if (v > peak) peak = v;
    if (!(peak > 0)) continue;
    const { tokens, first, last } = byteRuns(ex.tokens);
    ex.values.forEach((v, p) => {
      if (!(v > 0) || v < ACTIVE_FRACTION * peak || tokens[p] === undefined) return;
      // A byte run counts once, at its last byte, like the character it makes.
      if (last[p] !== p) return;
      firings++;
      const prev = tokens[first[p]! - 1];
      const next = tokens[p + 1];
      if (prev !== undefined) before.set(prev, (before.get(prev) ?? 0) + 1);
      if (next !== undefined) after.set(next, (after.get(next) ?? 0) + 1);
    });
  }
  return { firings, before, after };
}

/**
 * One separator per member of a group of features with the same explanation, in the group's
 * order; null for a member nothing distinguishes (no neighbour more common in it than in all the
 * others). A group of one needs none.
 */
export function separatorsOf(group: readonly Neighbours[]): (string | null)[] {
  if (group.length < 2) return group.map(() => null);
  const share = (n: Neighbours, side: 'before' | 'after', token: string): number => (n.firings === 0 ? 0 : (n[side].get(token) ?? 0) / n.firings);
  return group.map((member, i) => {
    let best: { margin: number; share: number; side: 'before' | 'after'; token: string } | undefined;
    for (const side of ['before', 'after'] as const) {
      for (const token of member[side].keys()) {
        const own = share(member, side, token);
        let others = 0;
        group.forEach((o, j) => {
          if (j !== i) others = Math.max(others, share(o, side, token));
        });
        const margin = own - others;
        if (margin <= 0) continue;
        const better =
          best === undefined ||
          margin > best.margin ||
          (margin === best.margin && (own > best.share || (own === best.share && (side < best.side || (side === best.side && token < best.token)))));
        if (better) best = { margin, share: own, side, token };
      }
    }
    if (best === undefined) return null;
    // The side names where the neighbour is; the label says where the feature fires relative to it.
    return `${best.side === 'before' ? 'after' : 'before'} ${JSON.stringify(best.token)}`;
  });
}

/** Groups feature indices by identical, non-empty explanation text; only groups of two or more. */
export function sharedExplanations(texts: readonly string[]): number[][] {
  const groups = new Map<string, number[]>();
  texts.forEach((text, f) => {
    if (text === '') return;
    let g = groups.get(text);
    if (g === undefined) groups.set(text, (g = []));
    g.push(f);
  });
  return [...groups.values()].filter((g) => g.length >= 2);
}
