// Token choice: greedy, temperature and top-p sampling follow the analytic softmax distribution,
// and the seeded PRNG repeats exactly.

import { describe, expect, it } from 'vitest';
import { chooseToken } from '../../../src/engine/model/sampling';
import { SeededRandom } from '../../../src/engine/random';

function frequencies(logits: number[], opts: { temperature?: number; topP?: number }, draws: number, seed = 1): number[] {
  const rng = new SeededRandom(seed);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[chooseToken(logits, opts, rng).token]! += 1;
  return counts.map((c) => c / draws);
}

describe('sampling', () => {
  const logits = [0, Math.log(3), Math.log(6)]; // softmax = [0.1, 0.3, 0.6]

  it('the PRNG is a pure function of its seed and roughly uniform', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const c = new SeededRandom(8);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(c.next()).not.toBe(xs[0]);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeGreaterThan(0.45);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeLessThan(0.55);
  });

  it('greedy picks the argmax and reports its log-probability', () => {
    const choice = chooseToken(logits, {}, new SeededRandom(0));
    expect(choice.token).toBe(2);
    expect(choice.logProb).toBeCloseTo(Math.log(0.6), 12);
  });

  it('temperature 1 samples the softmax; temperature 2 samples its square root, renormalized', () => {
    const f1 = frequencies(logits, { temperature: 1 }, 20_000);
    [0.1, 0.3, 0.6].forEach((p, i) => expect(Math.abs((f1[i] ?? 0) - p)).toBeLessThan(0.015));
    const s = [1, Math.sqrt(3), Math.sqrt(6)];
    const total = s.reduce((a, b) => a + b, 0);
    const f2 = frequencies(logits, { temperature: 2 }, 20_000);
    s.forEach((w, i) => expect(Math.abs((f2[i] ?? 0) - w / total)).toBeLessThan(0.015));
  });

  it('top-p keeps the smallest most-likely set reaching p, renormalized', () => {
    expect(frequencies(logits, { temperature: 1, topP: 0.6 }, 2_000)).toEqual([0, 0, 1]);
    const f = frequencies(logits, { temperature: 1, topP: 0.8 }, 20_000);
    expect(f[0]).toBe(0);
    expect(Math.abs((f[1] ?? 0) - 1 / 3)).toBeLessThan(0.015);
    expect(Math.abs((f[2] ?? 0) - 2 / 3)).toBeLessThan(0.015);
  });
});
