// The smallest circuit under a target loss: nodes ranked by their learned score (highest first,
// ties by node index), circuit(k) = the top k, and a bisection on k — the same as a bisection on
// the score threshold, since each threshold keeps a prefix of the ranking. It assumes that a
// larger circuit does not do worse (true of a trained mask in practice; the loss at the answer is
// measured, not assumed).

/** Node indices by score, highest first; equal scores by index, so the order is deterministic. */
export function rankByScore(scores: Float32Array): number[] {
  return Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
}

export interface BisectionStep {
  k: number;
  loss: number;
}

/**
 * The smallest k with lossAt(k) ≤ target, by bisection on [0, hi], where hi is the smallest of
 * `candidates` (e.g. every node, and the trained mask's own size — a trained mask can do better
 * than the whole model) that reaches the target; k is null when none does. Every evaluated k is
 * returned in `steps`, in the order tried.
 */
export function smallestUnderTarget(candidates: number[], target: number, lossAt: (k: number) => number): { k: number | null; steps: BisectionStep[] } {
  const steps: BisectionStep[] = [];
  const at = (k: number) => {
    const loss = lossAt(k);
    steps.push({ k, loss });
    return loss;
  };
  const passing = [...new Set(candidates)].sort((a, b) => a - b).filter((k) => at(k) <= target);
  if (passing.length === 0) return { k: null, steps };
  let hi = passing[0]!; // lossAt(hi) ≤ target
  if (hi === 0) return { k: 0, steps };
  let lo = 0; // lossAt(lo) > target, unless lo is 0 and passes (checked first)
  if (at(0) <= target) return { k: 0, steps };
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (at(mid) <= target) hi = mid;
    else lo = mid;
  }
  return { k: hi, steps };
}
