// The tokenizer trainer's incremental pair counting learns the same merges as the textbook
// algorithm (recount every pair after every merge), and its encoder applies them as HF's BPE does.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BpeEncoder, preTokenize, trainBpe } from '../../../scripts/default-model/bpe';

/** Textbook BPE training: full recount per merge; ties to the smaller (left, right) key. */
function naiveMerges(texts: string[], numMerges: number): [number, number][] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const p of preTokenize(t)) counts.set(p, (counts.get(p) ?? 0) + 1);
  let words = [...counts].map(([w, c]) => ({ symbols: Array.from(new TextEncoder().encode(w)), c }));
  const maxId = 256 + numMerges;
  const merges: [number, number][] = [];
  while (merges.length < numMerges) {
    const pairs = new Map<number, number>();
    for (const { symbols, c } of words) for (let i = 0; i + 1 < symbols.length; i++) {
      const k = symbols[i]! * maxId + symbols[i + 1]!;
      pairs.set(k, (pairs.get(k) ?? 0) + c);
    }
    let best = -1;
    let bestCount = 0;
    for (const [k, c] of pairs) if (c > bestCount || (c === bestCount && k < best)) [best, bestCount] = [k, c];
    if (best < 0) break;
    const [a, b] = [Math.floor(best / maxId), best % maxId];
    const id = 256 + merges.length;
    merges.push([a, b]);
    words = words.map(({ symbols, c }) => {
      const out: number[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === a && symbols[i + 1] === b) (out.push(id), i++);
        else out.push(symbols[i]!);
      }
      return { symbols: out, c };
    });
  }
  return merges;
}

describe('byte-level BPE trainer', () => {
  it('learns the textbook merges on a small mixed text', () => {
    const texts = ['def add(a, b):\n    return a + b\n', 'It is a truth universally acknowledged, that a single man...', 'aaaa aaa aa a'];
    expect(trainBpe(texts, 40).merges).toEqual(naiveMerges(texts, 40));
  });

  it('matches the textbook merges on random texts', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', ' ', '\n', 'é', '1') , maxLength: 40 }), { maxLength: 6 }), fc.integer({ min: 1, max: 25 }), (texts, n) => {
        expect(trainBpe(texts, n).merges).toEqual(naiveMerges(texts, n));
      }),
      { numRuns: 200 },
    );
  });

  it('encodes its training text back to bytes exactly', () => {
    const text = 'class Foo:\n    """Docstring."""\n\n    def bar(self):\n        return "ünïcode"\n';
    const model = trainBpe([text], 30);
    const encoder = new BpeEncoder(model);
    const ids = encoder.encode(text);
    expect(ids.length).toBeLessThan(new TextEncoder().encode(text).length);
    const bytes: number[] = [];
    const expand = (id: number): void => {
      if (id < 256) bytes.push(id);
      else model.merges[id - 256]!.forEach(expand);
    };
    ids.forEach(expand);
    expect(new TextDecoder().decode(Uint8Array.from(bytes))).toBe(text);
  });
});
