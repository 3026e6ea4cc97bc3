// Choosing the next token from a logits row: greedy, or temperature + nucleus (top-p) sampling
// driven by our own seeded PRNG, so the same seed gives the same text on every run and machine.
import type { SeededRandom } from '../random';

export interface SamplingOptions {
  /** 0 (or absent) → greedy argmax. */
  temperature?: number;
  /** Nucleus: sample among the most likely tokens whose probabilities add up to at least topP. */
  topP?: number;
}

export interface Choice {
  token: number;
  /** log-probability of the token under the model's (untempered) distribution. */
  logProb: number;
}

/** Log-softmax in float64. */
export function logSoftmax(logits: ArrayLike<number>, temperature = 1): Float64Array {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, (logits[i] ?? 0) / temperature);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp((logits[i] ?? 0) / temperature - max);
  const logZ = max + Math.log(sum);
  for (let i = 0; i < logits.length; i++) out[i] = (logits[i] ?? 0) / temperature - logZ;
  return out;
}

export function chooseToken(logits: ArrayLike<number>, opts: SamplingOptions, rng: SeededRandom): Choice {
  const logProbs = logSoftmax(logits);
  const temperature = opts.temperature ?? 0;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if ((logits[i] ?? 0) > (logits[best] ?? 0)) best = i;
    return { token: best, logProb: logProbs[best] ?? 0 };
  }
  const probs = logSoftmax(logits, temperature).map(Math.exp);
  // Most likely first; ties by token id so the order never depends on the sort's stability.
  const order = Array.from(probs.keys()).sort((a, b) => (probs[b] ?? 0) - (probs[a] ?? 0) || a - b);
  const topP = opts.topP ?? 1;
  let kept = order.length;
  if (topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < order.length; i++) {
      cumulative += probs[order[i] ?? 0] ?? 0;
      if (cumulative >= topP) {
        kept = i + 1;
        break;
      }
    }
  }
  let mass = 0;
  for (let i = 0; i < kept; i++) mass += probs[order[i] ?? 0] ?? 0;
  let u = rng.next() * mass;
  for (let i = 0; i < kept; i++) {
    const token = order[i] ?? 0;
    u -= probs[token] ?? 0;
    if (u < 0) return { token, logProb: logProbs[token] ?? 0 };
  }
  const last = order[kept - 1] ?? 0;
  return { token: last, logProb: logProbs[last] ?? 0 };
}

export interface TokenProbability {
  token: number;
  prob: number;
  logit: number;
}

/** The k most likely next tokens of one logits row, most likely first. */
export function topTokens(logits: ArrayLike<number>, k: number): TokenProbability[] {
  const logProbs = logSoftmax(logits);
  const order = Array.from(logProbs.keys()).sort((a, b) => (logProbs[b] ?? 0) - (logProbs[a] ?? 0) || a - b);
  return order.slice(0, k).map((token) => ({ token, prob: Math.exp(logProbs[token] ?? -Infinity), logit: logits[token] ?? 0 }));
}
