// Scoring automatic explanations on windows they were not built from (issue #18).
//
// Every HELD_OUT_EVERY-th corpus window (ids 4, 9, 14, … with 5) is held out: it counts for the
// corpus statistics (density, max, histogram) but gives no examples, so no explanation is built
// from it. After the explanations are known, the held-out windows are run again and each analysed
// token is scored per feature:
//   predicted  the token is one of the explanation's tokens (explain.ts predictedKeys)
//   fires      the feature reaches ACTIVE_FRACTION (½) of its max activation there
// precision = hits / predicted, recall = hits / firing, F1 = 2·hits / (predicted + firing).
// Memory is three counters per feature and one index from token to the features predicting it.
import { ACTIVE_FRACTION } from '../../catalog/explain';
import type { ExplanationScore } from '../../catalog/types';

export const HELD_OUT_EVERY = 5;

/** Whether window `id` (0-based, in corpus order) is held out from examples and explanations. */
export function isHeldOut(windowId: number): boolean {
  return windowId % HELD_OUT_EVERY === HELD_OUT_EVERY - 1;
}

export class ExplanationScorer {
  /** Analysed tokens of the held-out windows seen so far. */
  tokens = 0;
  private readonly predicted: Float64Array;
  private readonly firing: Float64Array;
  private readonly hits: Float64Array;
  private readonly threshold: Float32Array;
  private readonly scored: Uint8Array;
  /** Token key → the features whose explanation names it. */
  private readonly byKey = new Map<string, number[]>();

  /**
   * `maxAct[f]`: the feature's max over the analysis; `keys[f]`: what its explanation predicts
   * (empty when it has none: such a feature is not scored).
   */
  constructor(maxAct: ArrayLike<number>, keys: readonly (readonly string[])[]) {
    const n = keys.length;
    this.predicted = new Float64Array(n);
    this.firing = new Float64Array(n);
    this.hits = new Float64Array(n);
    this.threshold = new Float32Array(n);
    this.scored = new Uint8Array(n);
    keys.forEach((list, f) => {
      const max = maxAct[f]!;
      if (!(max > 0) || list.length === 0) return;
      this.scored[f] = 1;
      this.threshold[f] = ACTIVE_FRACTION * max;
      for (const key of list) {
        let features = this.byKey.get(key);
        if (features === undefined) this.byKey.set(key, (features = []));
        features.push(f);
      }
    });
  }

  /** Whether any feature has an explanation to score (else pass 3 can be skipped). */
  get anyScored(): boolean {
    return this.byKey.size > 0;
  }

  /** One analysed token: its key (explain.ts tokenKeys) and every feature's activation, `acts[offset + f]`. */
  addToken(key: string, acts: ArrayLike<number>, offset: number): void {
    this.tokens++;
    const n = this.scored.length;
    for (let f = 0; f < n; f++) {
      const a = acts[offset + f]!;
      if (a > 0 && a >= this.threshold[f]! && this.scored[f] === 1) this.firing[f] = this.firing[f]! + 1;
    }
    const predicting = this.byKey.get(key);
    if (predicting === undefined) return;
    for (const f of predicting) {
      this.predicted[f] = this.predicted[f]! + 1;
      const a = acts[offset + f]!;
      if (a > 0 && a >= this.threshold[f]!) this.hits[f] = this.hits[f]! + 1;
    }
  }

  /** The feature's score; null when it is not scored (no explanation, or no held-out token). */
  score(f: number): ExplanationScore | null {
    if (this.scored[f] !== 1 || this.tokens === 0) return null;
    const predicted = this.predicted[f]!;
    const firing = this.firing[f]!;
    const hits = this.hits[f]!;
    return {
      precision: predicted === 0 ? null : hits / predicted,
      recall: firing === 0 ? null : hits / firing,
      f1: predicted + firing === 0 ? null : (2 * hits) / (predicted + firing),
      heldOutTokens: this.tokens,
      heldOutFirings: firing,
    };
  }
}
